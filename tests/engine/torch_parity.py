#!/usr/bin/python3
"""Float-mode parity fixture: builds one small random model per family in PyTorch, exports it
in the Hugging Face folder layout the C++ loader reads (models/model.cpp), and stores test
inputs with the logits PyTorch computes for them (float32, eval mode, no dropout).

    /usr/bin/python3 tests/engine/torch_parity.py OUTDIR

writes OUTDIR/<family>/{config.json, model.safetensors, inputs.safetensors} for
mlp, lenet5, vit (nn.TransformerEncoderLayer blocks, no tensor prefix) and bert (built from
torch.nn modules, Hugging Face names under the "bert." prefix). inputs.safetensors holds
"pixels" (n x C x H x W, 0..255 as F32) or "input_ids" / "token_type_ids" (n x seq, F32),
and "logits" (n x classes). Deterministic: a fixed torch seed.

Self-contained (numpy, json and struct only besides torch) so it tests the loader against
the safetensors format itself, not against the project's own exporter.
"""
import json
import math
import os
import struct
import sys

try:
    import numpy as np
    import torch
    from torch import nn
    import torch.nn.functional as F
except ImportError as ex:  # the set-up installs python3-torch; without it the fixture fails
    sys.exit(f"torch_parity.py: {sys.executable} cannot import {ex.name} ({ex}); "
             "install python3-torch and python3-numpy (the project's set-up does)")

INPUT_MEAN, INPUT_STD = 0.2860, 0.3530
N_IMAGES = 16

# ----------------------------------------------------------------------------- safetensors


def save_safetensors(path, tensors):
    """{name: array} as little-endian F32; header space-padded to a multiple of 8 bytes."""
    header, blobs, offset = {}, [], 0
    for name in sorted(tensors):
        a = np.ascontiguousarray(tensors[name], dtype="<f4")
        assert np.all(np.isfinite(a)), f"{path}: tensor '{name}' is not finite"
        header[name] = {"dtype": "F32", "shape": list(a.shape),
                        "data_offsets": [offset, offset + a.nbytes]}
        offset += a.nbytes
        blobs.append(a.tobytes())
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * ((8 - len(text) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for b in blobs:
            f.write(b)


def np32(t):
    return t.detach().to(torch.float32).cpu().numpy()


def write(outdir, family, config, weights, inputs, logits):
    d = os.path.join(outdir, family)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "config.json"), "w") as f:
        json.dump(config, f, indent=2)
    save_safetensors(os.path.join(d, "model.safetensors"), {k: np32(v) for k, v in weights.items()})
    inputs = {k: np32(v) for k, v in inputs.items()}
    inputs["logits"] = np32(logits)
    save_safetensors(os.path.join(d, "inputs.safetensors"), inputs)
    l = inputs["logits"]
    # Degenerate activations would make the comparison vacuous.
    spread = float(l.std())
    assert spread > 0.1, f"{family}: logits have too little spread ({spread})"
    assert len(set(l.argmax(1).tolist())) > 1, f"{family}: every input gets the same class"
    print(f"{family}: {len(weights)} tensors, logits {tuple(l.shape)}, std {spread:.3f}, "
          f"range [{l.min():.3f}, {l.max():.3f}]")


# ----------------------------------------------------------------------------- helpers


def init_linear(lin, gain=math.sqrt(2.0), bias=0.1):
    """He-style normal weights so activations keep their scale, and non-zero biases."""
    nn.init.normal_(lin.weight, 0.0, gain / math.sqrt(lin.weight[0].numel()))
    if lin.bias is not None:
        nn.init.normal_(lin.bias, 0.0, bias)


def init_norm(norm):
    nn.init.normal_(norm.weight, 1.0, 0.2)
    nn.init.normal_(norm.bias, 0.0, 0.1)


def random_pixels(n, c, size):
    """Integer pixels 0..255 (as float32): coarse random blocks plus noise, so that images
    differ in structure (i.i.d. noise images all look alike to a random network)."""
    coarse = torch.randint(0, 256, (n, c, size // 4, size // 4)).to(torch.float32)
    coarse = F.interpolate(coarse, size=(size, size), mode="nearest")
    noise = torch.randint(-40, 41, (n, c, size, size)).to(torch.float32)
    return (coarse + noise).clamp(0, 255)


def preprocess(pixels):
    """(p/255 - mean) / std in float32, as network::forward_images."""
    return (pixels / 255.0 - INPUT_MEAN) / INPUT_STD


def state(module, prefix=""):
    return {prefix + k: v for k, v in module.state_dict().items()}


# ----------------------------------------------------------------------------- mlp


class MLP(nn.Module):
    def __init__(self, sizes):
        super().__init__()
        self.fcs = nn.ModuleList(nn.Linear(a, b) for a, b in zip(sizes, sizes[1:]))
        for fc in self.fcs:
            init_linear(fc)

    def forward(self, x):
        x = x.flatten(1)
        for i, fc in enumerate(self.fcs):
            x = fc(x)
            if i + 1 < len(self.fcs):
                x = F.relu(x)
        return x


def export_mlp(outdir):
    sizes = [784, 64, 32, 10]
    net = MLP(sizes).eval()
    pixels = random_pixels(N_IMAGES, 1, 28)
    with torch.no_grad():
        logits = net(preprocess(pixels))
    weights = {}
    for i, fc in enumerate(net.fcs):
        weights[f"fc{i + 1}.weight"] = fc.weight
        weights[f"fc{i + 1}.bias"] = fc.bias
    config = {"model_type": "mlp", "layer_sizes": sizes, "activation": "relu",
              "input_mean": INPUT_MEAN, "input_std": INPUT_STD}
    write(outdir, "mlp", config, weights, {"pixels": pixels}, logits)


# ----------------------------------------------------------------------------- lenet5


class LeNet5(nn.Module):
    def __init__(self, channels, classes, size):
        super().__init__()
        self.conv1 = nn.Conv2d(channels, 6, 5)
        self.conv2 = nn.Conv2d(6, 16, 5)
        s = ((size - 4) // 2 - 4) // 2
        self.fc1 = nn.Linear(16 * s * s, 120)
        self.fc2 = nn.Linear(120, 84)
        self.fc3 = nn.Linear(84, classes)
        for m in (self.conv1, self.conv2, self.fc1, self.fc2, self.fc3):
            init_linear(m)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        x = x.flatten(1)  # (C, H, W) order
        x = F.relu(self.fc1(x))
        x = F.relu(self.fc2(x))
        return self.fc3(x)


def export_lenet5(outdir):
    net = LeNet5(1, 10, 28).eval()
    pixels = random_pixels(N_IMAGES, 1, 28)
    with torch.no_grad():
        logits = net(preprocess(pixels))
    config = {"model_type": "lenet5", "in_channels": 1, "image_size": 28, "num_classes": 10,
              "input_mean": INPUT_MEAN, "input_std": INPUT_STD}
    write(outdir, "lenet5", config, state(net), {"pixels": pixels}, logits)


# ----------------------------------------------------------------------------- vit


class ViT(nn.Module):
    """Hugging Face ViT semantics from stock modules: pre-norm encoder layers, CLS token,
    learned position embeddings, final LayerNorm, classifier on the CLS token."""

    def __init__(self, image, patch, channels, hidden, layers, heads, inter, labels, eps):
        super().__init__()
        self.patch = nn.Conv2d(channels, hidden, patch, stride=patch)
        tokens = (image // patch) ** 2 + 1
        self.cls = nn.Parameter(torch.randn(1, 1, hidden))
        self.pos = nn.Parameter(torch.randn(1, tokens, hidden) * 0.5)
        self.blocks = nn.ModuleList(
            nn.TransformerEncoderLayer(hidden, heads, dim_feedforward=inter, dropout=0.0,
                                       activation="gelu", layer_norm_eps=eps, batch_first=True,
                                       norm_first=True) for _ in range(layers))
        self.norm = nn.LayerNorm(hidden, eps=eps)
        self.classifier = nn.Linear(hidden, labels)
        init_linear(self.patch, gain=1.0)
        for b in self.blocks:
            nn.init.normal_(b.self_attn.in_proj_weight, 0.0, 1.5 / math.sqrt(hidden))
            nn.init.normal_(b.self_attn.in_proj_bias, 0.0, 0.1)
            init_linear(b.self_attn.out_proj, gain=1.0)
            init_linear(b.linear1)
            init_linear(b.linear2, gain=1.0)
            init_norm(b.norm1)
            init_norm(b.norm2)
        init_norm(self.norm)
        init_linear(self.classifier, gain=2.0)

    def forward(self, x):
        p = self.patch(x).flatten(2).transpose(1, 2)  # n x patches x hidden, row-major patches
        h = torch.cat([self.cls.expand(x.shape[0], -1, -1), p], dim=1) + self.pos
        for b in self.blocks:
            h = b(h)
        return self.classifier(self.norm(h)[:, 0])


def export_vit(outdir):
    cfg = dict(image=28, patch=7, channels=1, hidden=32, layers=2, heads=4, inter=64, labels=10,
               eps=1e-6)
    net = ViT(**cfg).eval()
    pixels = random_pixels(N_IMAGES, 1, 28)
    with torch.no_grad():
        logits = net(preprocess(pixels))
    h = cfg["hidden"]
    w = {  # no "vit." prefix: the loader's prefix-less branch (bert below uses "bert.")
        "embeddings.cls_token": net.cls,
        "embeddings.position_embeddings": net.pos,
        "embeddings.patch_embeddings.projection.weight": net.patch.weight,
        "embeddings.patch_embeddings.projection.bias": net.patch.bias,
        "layernorm.weight": net.norm.weight,
        "layernorm.bias": net.norm.bias,
        "classifier.weight": net.classifier.weight,
        "classifier.bias": net.classifier.bias,
    }
    for i, b in enumerate(net.blocks):
        l = f"encoder.layer.{i}."
        for j, name in enumerate(("query", "key", "value")):
            w[l + f"attention.attention.{name}.weight"] = b.self_attn.in_proj_weight[j * h:(j + 1) * h]
            w[l + f"attention.attention.{name}.bias"] = b.self_attn.in_proj_bias[j * h:(j + 1) * h]
        pairs = {"attention.output.dense": b.self_attn.out_proj, "intermediate.dense": b.linear1,
                 "output.dense": b.linear2, "layernorm_before": b.norm1,
                 "layernorm_after": b.norm2}
        for name, mod in pairs.items():
            w[l + name + ".weight"] = mod.weight
            w[l + name + ".bias"] = mod.bias
    config = {"model_type": "vit", "hidden_size": h, "num_hidden_layers": cfg["layers"],
              "num_attention_heads": cfg["heads"], "intermediate_size": cfg["inter"],
              "image_size": cfg["image"], "patch_size": cfg["patch"],
              "num_channels": cfg["channels"], "num_labels": cfg["labels"], "qkv_bias": True,
              "layer_norm_eps": cfg["eps"], "hidden_act": "gelu",
              "input_mean": INPUT_MEAN, "input_std": INPUT_STD}
    write(outdir, "vit", config, w, {"pixels": pixels}, logits)


# ----------------------------------------------------------------------------- bert


class BertLayer(nn.Module):
    def __init__(self, hidden, heads, inter, eps):
        super().__init__()
        self.heads = heads
        self.query, self.key, self.value = (nn.Linear(hidden, hidden) for _ in range(3))
        self.attn_out = nn.Linear(hidden, hidden)
        self.attn_norm = nn.LayerNorm(hidden, eps=eps)
        self.intermediate = nn.Linear(hidden, inter)
        self.output = nn.Linear(inter, hidden)
        self.out_norm = nn.LayerNorm(hidden, eps=eps)
        for m in (self.query, self.key):
            init_linear(m, gain=1.5)
        for m in (self.value, self.attn_out, self.output):
            init_linear(m, gain=1.0)
        init_linear(self.intermediate)
        init_norm(self.attn_norm)
        init_norm(self.out_norm)

    def forward(self, h):
        n, t, d = h.shape
        split = lambda x: x.view(n, t, self.heads, d // self.heads).transpose(1, 2)
        q, k, v = split(self.query(h)), split(self.key(h)), split(self.value(h))
        s = torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(d // self.heads), dim=-1)
        ctx = (s @ v).transpose(1, 2).reshape(n, t, d)
        h = self.attn_norm(self.attn_out(ctx) + h)
        mid = F.gelu(self.intermediate(h))  # exact (erf) GELU, hidden_act "gelu"
        return self.out_norm(self.output(mid) + h)


class Bert(nn.Module):
    """Hugging Face BERT (post-norm) for sequence classification, from torch.nn modules."""

    def __init__(self, vocab, positions, types, hidden, layers, heads, inter, labels, eps):
        super().__init__()
        self.word = nn.Embedding(vocab, hidden)
        self.position = nn.Embedding(positions, hidden)
        self.token_type = nn.Embedding(types, hidden)
        self.emb_norm = nn.LayerNorm(hidden, eps=eps)
        self.layers = nn.ModuleList(BertLayer(hidden, heads, inter, eps) for _ in range(layers))
        self.pooler = nn.Linear(hidden, hidden)
        self.classifier = nn.Linear(hidden, labels)
        for emb in (self.word, self.position, self.token_type):
            nn.init.normal_(emb.weight, 0.0, 0.02)  # Hugging Face's initializer_range
        init_norm(self.emb_norm)
        init_linear(self.pooler, gain=1.0)
        init_linear(self.classifier, gain=2.0)

    def forward(self, ids, types):
        pos = torch.arange(ids.shape[1]).unsqueeze(0)
        h = self.emb_norm(self.word(ids) + self.position(pos) + self.token_type(types))
        for layer in self.layers:
            h = layer(h)
        return self.classifier(torch.tanh(self.pooler(h[:, 0])))

    def hf_state(self, prefix="bert."):
        w = {prefix + "embeddings.word_embeddings.weight": self.word.weight,
             prefix + "embeddings.position_embeddings.weight": self.position.weight,
             prefix + "embeddings.token_type_embeddings.weight": self.token_type.weight,
             prefix + "embeddings.LayerNorm.weight": self.emb_norm.weight,
             prefix + "embeddings.LayerNorm.bias": self.emb_norm.bias,
             prefix + "pooler.dense.weight": self.pooler.weight,
             prefix + "pooler.dense.bias": self.pooler.bias,
             "classifier.weight": self.classifier.weight,
             "classifier.bias": self.classifier.bias}
        for i, L in enumerate(self.layers):
            p = f"{prefix}encoder.layer.{i}."
            mods = {"attention.self.query": L.query, "attention.self.key": L.key,
                    "attention.self.value": L.value, "attention.output.dense": L.attn_out,
                    "attention.output.LayerNorm": L.attn_norm, "intermediate.dense": L.intermediate,
                    "output.dense": L.output, "output.LayerNorm": L.out_norm}
            for name, m in mods.items():
                w[p + name + ".weight"] = m.weight
                w[p + name + ".bias"] = m.bias
        return w


def export_bert(outdir):
    cfg = dict(vocab=100, positions=16, types=2, hidden=32, layers=2, heads=4, inter=64,
               labels=3, eps=1e-5)  # not the 1e-12 default: with embeddings of std 0.02 the
    # embedding LayerNorm sees variance ~1e-3, so reading layer_norm_eps shows in the logits
    net = Bert(**cfg).eval()
    n, seq = N_IMAGES, 12
    ids = torch.randint(0, cfg["vocab"], (n, seq))
    types = (torch.arange(seq) >= torch.randint(2, seq, (n, 1))).long()  # segment A then B
    with torch.no_grad():
        logits = net(ids, types)
    config = {"model_type": "bert", "vocab_size": cfg["vocab"],
              "max_position_embeddings": cfg["positions"], "type_vocab_size": cfg["types"],
              "hidden_size": cfg["hidden"], "num_hidden_layers": cfg["layers"],
              "num_attention_heads": cfg["heads"], "intermediate_size": cfg["inter"],
              "id2label": {str(i): f"LABEL_{i}" for i in range(cfg["labels"])},
              "layer_norm_eps": cfg["eps"], "hidden_act": "gelu"}
    write(outdir, "bert", config, net.hf_state("bert."),
          {"input_ids": ids, "token_type_ids": types}, logits)


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: torch_parity.py OUTDIR")
    torch.manual_seed(20240611)
    torch.set_num_threads(1)
    outdir = sys.argv[1]
    for export in (export_mlp, export_lenet5, export_vit, export_bert):
        export(outdir)


if __name__ == "__main__":
    main()
