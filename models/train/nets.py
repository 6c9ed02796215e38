"""The three model families the C++ loader (models/model.cpp) knows, as PyTorch modules.

Each one's forward is exactly what the C++ engine computes from the exported folder:
  mlp:    fc1 -> relu -> fc2 -> relu -> ... -> fcN (no activation after the last)
  lenet5: conv1 5x5 valid -> relu -> maxpool 2x2 -> conv2 5x5 valid -> relu -> maxpool 2x2
          -> flatten (C, H, W) -> fc1 -> relu -> fc2 -> relu -> fc3
  vit:    Conv2d patch embedding (kernel = stride = patch) -> tokens [CLS, patches row-major]
          + position embeddings -> torch.nn.TransformerEncoderLayer blocks (pre-norm, GELU,
          batch_first) -> final LayerNorm -> linear classifier on the CLS token
Inputs are images (B, C, H, W) already normalised: (pixel / 255 - input_mean) / input_std.
"""
import torch
import torch.nn as nn
import torch.nn.functional as F

# Fashion-MNIST training-set statistics of pixel / 255 (written to config.json).
FMNIST_MEAN = 0.2860
FMNIST_STD = 0.3530


class MLP(nn.Module):
    family = "mlp"

    def __init__(self, layer_sizes=(784, 256, 128, 10)):
        super().__init__()
        self.layer_sizes = list(layer_sizes)
        for k in range(1, len(layer_sizes)):
            setattr(self, f"fc{k}", nn.Linear(layer_sizes[k - 1], layer_sizes[k]))
        self.n = len(layer_sizes) - 1

    def forward(self, x):
        x = x.flatten(1)
        for k in range(1, self.n + 1):
            x = getattr(self, f"fc{k}")(x)
            if k < self.n:
                x = F.relu(x)
        return x

    def config(self):
        return {"model_type": "mlp", "layer_sizes": self.layer_sizes, "activation": "relu"}


class LeNet5(nn.Module):
    family = "lenet5"

    def __init__(self, in_channels=1, image_size=28, num_classes=10):
        super().__init__()
        self.in_channels, self.image_size, self.num_classes = in_channels, image_size, num_classes
        s = ((image_size - 4) // 2 - 4) // 2
        self.s = s
        self.conv1 = nn.Conv2d(in_channels, 6, 5)
        self.conv2 = nn.Conv2d(6, 16, 5)
        self.fc1 = nn.Linear(16 * s * s, 120)
        self.fc2 = nn.Linear(120, 84)
        self.fc3 = nn.Linear(84, num_classes)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        x = x.flatten(1)
        x = F.relu(self.fc1(x))
        x = F.relu(self.fc2(x))
        return self.fc3(x)

    def config(self):
        return {"model_type": "lenet5", "in_channels": self.in_channels,
                "image_size": self.image_size, "num_classes": self.num_classes}


class ViT(nn.Module):
    family = "vit"

    def __init__(self, image_size=28, patch_size=4, num_channels=1, hidden_size=64,
                 num_hidden_layers=6, num_attention_heads=4, intermediate_size=128,
                 num_labels=10, dropout=0.0, layer_norm_eps=1e-6):
        super().__init__()
        if image_size % patch_size:
            raise ValueError(f"patch_size {patch_size} does not divide image_size {image_size}")
        self.cfg = dict(image_size=image_size, patch_size=patch_size, num_channels=num_channels,
                        hidden_size=hidden_size, num_hidden_layers=num_hidden_layers,
                        num_attention_heads=num_attention_heads, intermediate_size=intermediate_size,
                        num_labels=num_labels, layer_norm_eps=layer_norm_eps)
        n_patches = (image_size // patch_size) ** 2
        self.patch = nn.Conv2d(num_channels, hidden_size, patch_size, stride=patch_size)
        self.cls_token = nn.Parameter(torch.zeros(1, 1, hidden_size))
        self.pos = nn.Parameter(torch.zeros(1, n_patches + 1, hidden_size))
        self.blocks = nn.ModuleList([
            nn.TransformerEncoderLayer(hidden_size, num_attention_heads, intermediate_size, dropout,
                                       activation="gelu", batch_first=True, norm_first=True,
                                       layer_norm_eps=layer_norm_eps)
            for _ in range(num_hidden_layers)])
        self.norm = nn.LayerNorm(hidden_size, eps=layer_norm_eps)
        self.classifier = nn.Linear(hidden_size, num_labels)
        nn.init.trunc_normal_(self.pos, std=0.02)
        nn.init.trunc_normal_(self.cls_token, std=0.02)

    def forward(self, x):
        x = self.patch(x).flatten(2).transpose(1, 2)  # (B, patches row-major, H)
        x = torch.cat([self.cls_token.expand(x.shape[0], -1, -1), x], dim=1) + self.pos
        for blk in self.blocks:
            x = blk(x)
        return self.classifier(self.norm(x)[:, 0])

    def config(self):
        c = {"model_type": "vit", "architectures": ["ViTForImageClassification"]}
        c.update(self.cfg)
        c.update({"hidden_act": "gelu", "qkv_bias": True, "hidden_dropout_prob": 0.0,
                  "attention_probs_dropout_prob": 0.0})
        return c


def build(family, **kw):
    return {"mlp": MLP, "lenet5": LeNet5, "vit": ViT}[family](**kw)


def from_config(cfg):
    """The module of an exported config.json (weights left at their initial values)."""
    t = cfg["model_type"]
    if t == "mlp":
        if cfg.get("activation", "relu") != "relu":
            raise ValueError("models.train supports only relu MLPs")
        return MLP(cfg["layer_sizes"])
    if t == "lenet5":
        return LeNet5(cfg["in_channels"], cfg["image_size"], cfg["num_classes"])
    if t == "vit":
        keys = ["image_size", "patch_size", "num_channels", "hidden_size", "num_hidden_layers",
                "num_attention_heads", "intermediate_size", "num_labels", "layer_norm_eps"]
        return ViT(**{k: cfg[k] for k in keys})
    raise ValueError(f"unknown model_type '{t}'")
