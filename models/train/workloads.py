"""The zoo's workload models beyond the C++ families: a residual CNN (ResNet-style) on
Fashion-MNIST and a BERT-style language transformer trained from scratch on the fortunes
text-classification task (models/text/prepare_fortunes.py). Both are trained, pruned with
rramft_prune (the same differentiable structured pruning as train.py) and exported to
  DIR/config.json + DIR/model.safetensors   (folder layout, which the C++ resnet and bert
                                             families read; bert: Hugging Face BERT names)
  DIR/model.onnx                            (torch.onnx.export, opset 17, batch axis dynamic;
                                             resnet: input pixel / 255 as rramft feeds image
                                             data, normalised inside the graph)
  DIR/reference_inputs.npy, DIR/reference_logits.npy, DIR/reference_labels.npy
                                            (the ONNX graph's inputs and PyTorch float32 logits
                                             on the CPU of 8 test examples: the oracle of the
                                             C++ tests)
Run from the repository root (commands of the shipped models: models/zoo/README.md):

  python3 -m models.train.workloads --model resnet --epochs 15 --out /tmp/resnet-dense
  python3 -m models.train.workloads --model resnet --init /tmp/resnet-dense --prune \\
      --min-col-sparsity 0.3 --epochs 4 --finetune-epochs 8 --out /tmp/resnet-pruned
  python3 -m models.train.workloads --model bert --epochs 40 --out /tmp/bert-dense
  python3 -m models.train.workloads --model resnet --smoke --prune --epochs 1 --finetune-epochs 1 --out /tmp/s
  python3 -m models.train.workloads --export-only DIR      # model.onnx + reference logits again

ResNet (torchvision BasicBlock names): conv1 3x3 pad 1 -> bn1 -> relu -> per stage blocks
[conv 3x3 stride s pad 1 -> bn -> relu -> conv 3x3 pad 1 -> bn, + shortcut (identity, or conv
1x1 stride s -> bn), relu] -> global average pooling -> fc. Batch norm is pruned with its conv:
the conv's output gate also multiplies the batch norm's weight and bias, so a pruned channel is
exactly 0 after the batch norm, and its folded weights and bias are 0 (running mean 0 and
variance 1 are stored for it).

The ResNet folder (config.json + model.safetensors) takes the normalised image,
(pixel / 255 - input_mean) / input_std, as the other zoo folders; its model.onnx takes
pixel / 255, what `rramft --data fashion-mnist` feeds an ONNX float input, and normalises it
in the graph (Sub, Div), as models/train/onnx_export.py does for mlp, lenet5 and vit.

BERT (Hugging Face BertForSequenceClassification semantics without an attention mask: every
position, [PAD] included, is attended, as in training): word + position + token-type-0
embeddings -> LayerNorm -> post-norm encoder layers (self-attention, GELU (erf) MLP) ->
pooler tanh(dense([CLS])) -> classifier. Inputs: token ids (batch, seq_len) int64.
"""
import argparse
import inspect
import json
import math
import os
import shlex
import sys
import time

os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")  # deterministic cuBLAS

import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn as nn  # noqa: E402
import torch.nn.functional as F  # noqa: E402
from torch.nn.utils import parametrize  # noqa: E402

from . import data, export, nets, train  # noqa: E402
from . import rramft_prune as rp  # noqa: E402

TEXT_DIR = os.path.join("models", "text", "fortunes")
N_REFERENCE = 8  # test examples whose PyTorch logits ship with each model
ONNX_OPSET = 17

# ----------------------------------------------------------------------------- ResNet


class BasicBlock(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.downsample = None
        if stride != 1 or cin != cout:
            self.downsample = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x):
        idt = x if self.downsample is None else self.downsample(x)
        y = F.relu(self.bn1(self.conv1(x)))
        return F.relu(self.bn2(self.conv2(y)) + idt)


class ResNet(nn.Module):
    family = "resnet"

    def __init__(self, widths=(16, 32, 64), blocks=(1, 1, 1), in_channels=1, image_size=28, num_labels=10):
        super().__init__()
        self.cfg = dict(widths=list(widths), blocks=list(blocks), in_channels=in_channels,
                        image_size=image_size, num_labels=num_labels)
        self.conv1 = nn.Conv2d(in_channels, widths[0], 3, 1, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(widths[0])
        cin = widths[0]
        for s, (w, n) in enumerate(zip(widths, blocks)):
            layer = []
            for b in range(n):
                layer.append(BasicBlock(cin, w, 2 if (s > 0 and b == 0) else 1))
                cin = w
            setattr(self, f"layer{s + 1}", nn.Sequential(*layer))
        self.n_stages = len(widths)
        self.fc = nn.Linear(widths[-1], num_labels)

    def forward(self, x):
        x = F.relu(self.bn1(self.conv1(x)))
        for s in range(self.n_stages):
            x = getattr(self, f"layer{s + 1}")(x)
        return self.fc(F.adaptive_avg_pool2d(x, 1).flatten(1))

    def conv_bn_pairs(self):
        """[(conv module name, its batch norm's name)]."""
        pairs = [("conv1", "bn1")]
        for name, m in self.named_modules():
            if isinstance(m, BasicBlock):
                pairs += [(f"{name}.conv1", f"{name}.bn1"), (f"{name}.conv2", f"{name}.bn2")]
                if m.downsample is not None:
                    pairs.append((f"{name}.downsample.0", f"{name}.downsample.1"))
        return pairs

    def zero_chains(self):
        """[(producer conv, consumer conv)]: a pruned producer channel is exactly 0 after its
        batch norm and ReLU, so the consumer's input channel multiplies only zeros."""
        chains = []
        first = True
        for name, m in self.named_modules():
            if isinstance(m, BasicBlock):
                chains.append((f"{name}.conv1", f"{name}.conv2"))
                if first:  # the stem's ReLU output feeds the first block's convolutions
                    chains.append(("conv1", f"{name}.conv1"))
                    if m.downsample is not None:
                        chains.append(("conv1", f"{name}.downsample.0"))
                    first = False
        return chains

    def config(self):
        c = {"model_type": "resnet", "input_mean": nets.FMNIST_MEAN, "input_std": nets.FMNIST_STD,
             "input": "image (batch, in_channels, image_size, image_size), x = (pixel / 255 - input_mean) / input_std; "
                      "model.onnx takes pixel / 255 and normalises it in the graph"}
        c.update(self.cfg)
        return c

class OnnxInput(nn.Module):
    """The ResNet as its ONNX graph: x = pixel / 255 in, (x - input_mean) / input_std applied
    first (float32 constants, the folder front end's preprocessing), then the network."""
    family = "resnet"

    def __init__(self, net):
        super().__init__()
        self.net = net
        self.mean = float(np.float32(nets.FMNIST_MEAN))
        self.std = float(np.float32(nets.FMNIST_STD))

    def forward(self, x):
        return self.net((x - self.mean) / self.std)


def onnx_module(model):
    """The module whose inputs and outputs the ONNX file has: resnet wrapped in OnnxInput."""
    return OnnxInput(model) if isinstance(model, ResNet) else model


def image_reference(xte_u, yte):
    """The ResNet's reference examples as its ONNX input: pixel / 255, (N, 1, H, W) float32,
    of the N_REFERENCE test images evenly spread over the test set, and their labels."""
    ref = np.arange(N_REFERENCE) * (len(xte_u) // N_REFERENCE)
    x = torch.from_numpy(xte_u[ref]).float().unsqueeze(1) / 255.0
    return x, torch.from_numpy(np.asarray(yte)[ref]).long()

# ----------------------------------------------------------------------------- BERT


class _Node(nn.Module):
    """A plain container, so that parameter names follow Hugging Face's BERT."""

    def forward(self, *a):  # pragma: no cover - containers are not called
        raise RuntimeError("container")


def _ln(h, eps):
    return nn.LayerNorm(h, eps=eps)


class BertClassifier(nn.Module):
    family = "bert"

    def __init__(self, vocab_size, hidden_size=64, num_hidden_layers=4, num_attention_heads=4,
                 intermediate_size=256, max_position_embeddings=64, seq_len=None, num_labels=6,
                 type_vocab_size=2, layer_norm_eps=1e-12, dropout=0.1):
        super().__init__()
        if hidden_size % num_attention_heads:
            raise ValueError(f"{num_attention_heads} heads do not divide hidden_size {hidden_size}")
        seq_len = seq_len or max_position_embeddings
        if seq_len > max_position_embeddings:
            raise ValueError(f"seq_len {seq_len} > max_position_embeddings {max_position_embeddings}")
        self.cfg = dict(vocab_size=vocab_size, hidden_size=hidden_size, num_hidden_layers=num_hidden_layers,
                        num_attention_heads=num_attention_heads, intermediate_size=intermediate_size,
                        max_position_embeddings=max_position_embeddings, type_vocab_size=type_vocab_size,
                        num_labels=num_labels, layer_norm_eps=layer_norm_eps)
        self.seq_len, self.heads, self.h, self.p = seq_len, num_attention_heads, hidden_size, dropout
        h, eps = hidden_size, layer_norm_eps
        self.bert = _Node()
        e = self.bert.embeddings = _Node()
        e.word_embeddings = nn.Embedding(vocab_size, h)
        e.position_embeddings = nn.Embedding(max_position_embeddings, h)
        e.token_type_embeddings = nn.Embedding(type_vocab_size, h)
        e.LayerNorm = _ln(h, eps)
        self.bert.encoder = _Node()
        layers = []
        for _ in range(num_hidden_layers):
            lay = _Node()
            lay.attention = _Node()
            sa = _Node()
            sa.query, sa.key, sa.value = nn.Linear(h, h), nn.Linear(h, h), nn.Linear(h, h)
            setattr(lay.attention, "self", sa)
            lay.attention.output = _Node()
            lay.attention.output.dense = nn.Linear(h, h)
            lay.attention.output.LayerNorm = _ln(h, eps)
            lay.intermediate = _Node()
            lay.intermediate.dense = nn.Linear(h, intermediate_size)
            lay.output = _Node()
            lay.output.dense = nn.Linear(intermediate_size, h)
            lay.output.LayerNorm = _ln(h, eps)
            layers.append(lay)
        self.bert.encoder.layer = nn.ModuleList(layers)
        self.bert.pooler = _Node()
        self.bert.pooler.dense = nn.Linear(h, h)
        self.classifier = nn.Linear(h, num_labels)
        for m in self.modules():  # BERT's initialisation
            if isinstance(m, (nn.Linear, nn.Embedding)):
                nn.init.normal_(m.weight, std=0.02)
            if isinstance(m, nn.Linear):
                nn.init.zeros_(m.bias)

    def _drop(self, x):
        return F.dropout(x, self.p, self.training) if self.p > 0 else x

    def forward(self, ids):
        L, H, h = self.seq_len, self.heads, self.h
        d = h // H
        e = self.bert.embeddings
        x = e.word_embeddings(ids) + e.position_embeddings.weight[:L] + e.token_type_embeddings.weight[0]
        x = self._drop(e.LayerNorm(x))
        for lay in self.bert.encoder.layer:
            sa = getattr(lay.attention, "self")
            q = sa.query(x).reshape(-1, L, H, d).transpose(1, 2)
            k = sa.key(x).reshape(-1, L, H, d).transpose(1, 2)
            v = sa.value(x).reshape(-1, L, H, d).transpose(1, 2)
            p = self._drop(torch.softmax(torch.matmul(q, k.transpose(-1, -2)) / math.sqrt(d), dim=-1))
            c = torch.matmul(p, v).transpose(1, 2).reshape(-1, L, h)
            x = lay.attention.output.LayerNorm(self._drop(lay.attention.output.dense(c)) + x)
            i = F.gelu(lay.intermediate.dense(x))
            x = lay.output.LayerNorm(self._drop(lay.output.dense(i)) + x)
        pooled = torch.tanh(self.bert.pooler.dense(x[:, 0]))
        return self.classifier(self._drop(pooled))

    def conv_bn_pairs(self):
        return []

    def config(self):
        c = {"model_type": "bert", "architectures": ["BertForSequenceClassification"], "hidden_act": "gelu",
             "hidden_dropout_prob": self.p, "attention_probs_dropout_prob": self.p,
             "seq_len": self.seq_len,
             "input": "token ids (batch, seq_len) int64; no attention mask ([PAD] positions attended, as trained)"}
        c.update(self.cfg)
        return c


def bert_layer_names(cfg, prefix="bert."):
    """Hugging Face names of the crossbar (Linear) layers of a BERT, in forward order."""
    names = []
    for i in range(cfg["num_hidden_layers"]):
        p = f"{prefix}encoder.layer.{i}."
        names += [p + "attention.self.query", p + "attention.self.key", p + "attention.self.value",
                  p + "attention.output.dense", p + "intermediate.dense", p + "output.dense"]
    return names + [prefix + "pooler.dense", "classifier"]


def from_config(cfg, dropout=0.0):
    t = cfg["model_type"]
    if t == "resnet":
        return ResNet(cfg["widths"], cfg["blocks"], cfg["in_channels"], cfg["image_size"], cfg["num_labels"])
    if t == "bert":
        keys = ["vocab_size", "hidden_size", "num_hidden_layers", "num_attention_heads", "intermediate_size",
                "max_position_embeddings", "num_labels", "type_vocab_size", "layer_norm_eps"]
        return BertClassifier(seq_len=cfg.get("seq_len"), dropout=dropout, **{k: cfg[k] for k in keys})
    raise ValueError(f"unknown model_type '{t}'")

# ----------------------------------------------------------------------------- pruning with batch norm


def gate_batchnorms(model):
    """The output gates of each conv also mask its batch norm's weight and bias."""
    mods = dict(model.named_modules())
    for conv, bn in model.conv_bn_pairs():
        c = mods[conv]
        if not parametrize.is_parametrized(c, "weight"):
            continue
        g = c.parametrizations.weight[0]
        for attr in ("weight", "bias"):
            parametrize.register_parametrization(mods[bn], attr, rp._BiasMask(g))


@torch.no_grad()
def init_gates_from_bn(model):
    """Gate values |gamma| / max |gamma| per layer (network-slimming importance): the learned
    scale of a channel's batch norm ranks it; ties keep channel order (stable sort)."""
    mods = dict(model.named_modules())
    for conv, bn in model.conv_bn_pairs():
        c = mods[conv]
        if not parametrize.is_parametrized(c, "weight"):
            continue
        gamma = mods[bn].parametrizations.weight.original.detach().abs()
        c.parametrizations.weight[0].out_gate.copy_(gamma / gamma.max().clamp_min(1e-12))


@torch.no_grad()
def bake(model):
    """rramft_prune.bake plus the batch norms: plain parameters, pruned channels +0.0 weight
    and bias, running mean 0 and variance 1."""
    ms = rp.masks(model)
    mods = dict(model.named_modules())
    for conv, bn in model.conv_bn_pairs():
        b = mods[bn]
        if not parametrize.is_parametrized(b):
            continue
        keep = ms[conv + ".weight"][0]
        for attr in ("weight", "bias"):
            eff = torch.where(keep, getattr(b, attr).detach(), torch.zeros(()).to(keep.device))
            parametrize.remove_parametrizations(b, attr, leave_parametrized=False)
            getattr(b, attr).data.copy_(eff)
        b.running_mean[~keep] = 0.0
        b.running_var[~keep] = 1.0
    rp.bake(model)

# ----------------------------------------------------------------------------- export


def weight_layers(model):
    """Names (module prefixes) of the crossbar layers: every Conv/Linear, in module order."""
    return [n for n, m in model.named_modules() if isinstance(m, (nn.Conv2d, nn.Linear))]


def state_arrays(model):
    """{name: float32 array} of the plain model, without batch norms' step counters; +0.0."""
    return {k: np.ascontiguousarray(v.detach().float().cpu().numpy()) + np.float32(0.0)
            for k, v in model.state_dict().items() if not k.endswith("num_batches_tracked")}


def propagate(model, t):
    """Zeroes weights that can only multiply an exact 0 (in place; no output changes)."""
    if model.family == "resnet":
        bn_of = dict(model.conv_bn_pairs())
        for prod, cons in model.zero_chains():
            w, bn = t[prod + ".weight"], bn_of[prod]
            dead = ~np.any(w.reshape(w.shape[0], -1) != 0, axis=1)
            dead &= (t[bn + ".weight"] == 0) & (t[bn + ".bias"] == 0)
            t[cons + ".weight"][:, dead] = 0.0
    else:
        for i in range(model.cfg["num_hidden_layers"]):
            p = f"bert.encoder.layer.{i}."
            q, k = p + "attention.self.query", p + "attention.self.key"
            dead = np.union1d(export.dead_outputs(t, q), export.dead_outputs(t, k))
            for n in (q, k):
                t[n + ".weight"][dead] = 0.0
                t[n + ".bias"][dead] = 0.0
            for prod, cons in ((p + "attention.self.value", p + "attention.output.dense"),
                               (p + "intermediate.dense", p + "output.dense")):
                t[cons + ".weight"][:, export.dead_outputs(t, prod)] = 0.0
    for k in t:
        t[k] = t[k] + np.float32(0.0)
    return t


def sparsity_report(model, t):
    """Per crossbar layer: outputs whose weights are all zero (crossbar columns freed) and
    inputs likewise (rows), as export.sparsity_report does for the C++ families."""
    layers, pruned, total = {}, 0, 0
    for p in weight_layers(model):
        w = t[p + ".weight"]
        w2 = w.reshape(w.shape[0], -1)
        zero_cols = int((~np.any(w2 != 0, axis=1)).sum())
        zero_rows = int((~np.any(w2 != 0, axis=0)).sum())
        layers[p] = {"outputs": int(w.shape[0]), "pruned_outputs": zero_cols,
                     "column_sparsity": round(zero_cols / w.shape[0], 6),
                     "inputs": int(w2.shape[1]), "pruned_inputs": zero_rows,
                     "row_sparsity": round(zero_rows / w2.shape[1], 6)}
        pruned += zero_cols
        total += int(w.shape[0])
    return {"layers": layers, "pruned_outputs": pruned, "outputs": total,
            "column_sparsity": round(pruned / total, 6)}


def export_onnx(model, path, example):
    """torch.onnx.export of onnx_module(model) (example: its input) with opset 17, the batch
    axis dynamic, the TorchScript exporter (torch 1.13 has only that one; torch >= 2.9
    defaults to the dynamo one, asked not to)."""
    model = onnx_module(model.cpu().eval()).eval()
    in_name = "input_ids" if model.family == "bert" else "input"
    kw = {}
    if "dynamo" in inspect.signature(torch.onnx.export).parameters:
        kw["dynamo"] = False
    torch.onnx.export(model, (example,), path, opset_version=ONNX_OPSET, input_names=[in_name],
                      output_names=["logits"], dynamic_axes={in_name: {0: "batch"}, "logits": {0: "batch"}},
                      do_constant_folding=True, **kw)


def write_folder(model, out, training, ref_x, ref_y):
    """config.json, model.safetensors, model.onnx and the reference logits; returns config.
    The model is reloaded from the written tensors first, so every file holds the same net."""
    model = model.cpu().eval()
    t = propagate(model, state_arrays(model))
    sd = {k: torch.from_numpy(v.copy()) for k, v in t.items()}
    missing, unexpected = model.load_state_dict(sd, strict=False)
    if unexpected or any(not k.endswith("num_batches_tracked") for k in missing):
        raise RuntimeError(f"write_folder: state mismatch {missing} {unexpected}")
    cfg = model.config()
    cfg["training"] = dict(training)
    cfg["training"]["sparsity"] = sparsity_report(model, t)
    os.makedirs(out, exist_ok=True)
    export.save_safetensors(os.path.join(out, "model.safetensors"), t,
                            {"format": "pt", "generator": "models/train/workloads.py"})
    export.write_config(out, cfg)
    write_onnx_and_reference(model, out, ref_x, ref_y)
    return cfg


def write_onnx_and_reference(model, out, ref_x, ref_y):
    """model.onnx and reference_{inputs,labels,logits}.npy (PyTorch, float32, CPU); ref_x is
    the ONNX graph's input (resnet: pixel / 255)."""
    model = onnx_module(model.cpu().eval()).eval()
    try:
        export_onnx(model, os.path.join(out, "model.onnx"), ref_x[:2])
    except Exception as ex:  # the folder stays usable; --export-only redoes it
        train.log(f"warning: ONNX export failed ({type(ex).__name__}: {ex}); "
                  f"run python3 -m models.train.workloads --export-only {out}")
    with torch.no_grad():
        logits = model(ref_x).float().numpy()
    np.save(os.path.join(out, "reference_inputs.npy"), ref_x.numpy())
    np.save(os.path.join(out, "reference_labels.npy"), ref_y.numpy())
    np.save(os.path.join(out, "reference_logits.npy"), logits)


def load_folder(folder, dropout=0.0):
    """(plain torch model in eval mode, config) of a folder written by write_folder."""
    with open(os.path.join(folder, "config.json")) as f:
        cfg = json.load(f)
    model = from_config(cfg, dropout)
    t, _ = export.load_safetensors(os.path.join(folder, "model.safetensors"))
    sd = model.state_dict()
    for k in list(sd):
        if k.endswith("num_batches_tracked"):
            t[k] = sd[k].numpy()
    missing = set(sd) - set(t)
    extra = set(t) - set(sd)
    if missing or extra:
        raise KeyError(f"{folder}: missing tensors {sorted(missing)}, unexpected {sorted(extra)}")
    model.load_state_dict({k: torch.from_numpy(np.array(v)) for k, v in t.items()}, strict=True)
    return model.eval(), cfg

# ----------------------------------------------------------------------------- data


def load_text(folder=TEXT_DIR):
    """(train ids, train labels, test ids, test labels, meta) as torch int64 tensors."""
    z = np.load(os.path.join(folder, "train.npz"))
    with open(os.path.join(folder, "meta.json")) as f:
        meta = json.load(f)
    return (torch.from_numpy(z["ids"]), torch.from_numpy(z["labels"]),
            torch.from_numpy(np.load(os.path.join(folder, "test_ids.npy"))),
            torch.from_numpy(np.load(os.path.join(folder, "test_labels.npy"))), meta)

# ----------------------------------------------------------------------------- command line


def parse_args(argv):
    p = argparse.ArgumentParser(prog="python3 -m models.train.workloads", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", choices=["resnet", "bert"], required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--init", help="start from this folder (its config fixes the architecture)")
    p.add_argument("--epochs", type=int, default=10)
    p.add_argument("--finetune-epochs", type=int, default=0)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--device", default="cpu", help="cpu | cuda | auto")
    p.add_argument("--threads", type=int, default=0)
    p.add_argument("--data", help="resnet: Fashion-MNIST folder; bert: prepared text folder "
                                  f"(default {TEXT_DIR})")
    p.add_argument("--smoke", action="store_true", help="4 steps per phase on a few hundred examples")
    p.add_argument("--batch-size", type=int, default=128)
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--finetune-lr", type=float)
    p.add_argument("--weight-decay", type=float, default=1e-4)
    p.add_argument("--warmup-epochs", type=float, default=0.0)
    p.add_argument("--label-smoothing", type=float, default=0.0)
    p.add_argument("--augment", action="store_true", help="resnet: random shifts and flips")
    p.add_argument("--prune", action="store_true")
    p.add_argument("--mu", type=float, default=1.0)
    p.add_argument("--normalize", choices=["layer", "size", "none"], default="layer")
    p.add_argument("--target-sparsity", type=float)
    p.add_argument("--layer-target", action="append", default=[], metavar="NAME=FRACTION",
                   help="per-layer --target-sparsity (NAME as printed, e.g. layer3.0.conv1.weight); repeatable")
    p.add_argument("--budget", action="store_true",
                   help="budget-constrained gates (rramft_prune.set_budget): no gated layer ever has more "
                        "than its target sparsity of outputs closed; needs --target-sparsity")
    p.add_argument("--gate-lr", type=float, default=1e-2)
    p.add_argument("--gate-init", type=float, default=1.0)
    p.add_argument("--gate-init-bn", action="store_true",
                   help="resnet: start each conv's output gates at |batch norm weight| / max of the layer, "
                        "so that --min-col-sparsity closes the channels of smallest scale first")
    p.add_argument("--min-col-sparsity", type=float, default=0.0)
    p.add_argument("--layer-min-col-sparsity", action="append", default=[], metavar="PREFIX=F",
                   help="like --min-col-sparsity for the gated layers whose name starts with PREFIX; "
                        "repeatable, applied in order after --min-col-sparsity")
    p.add_argument("--train-subset", type=int, default=0,
                   help="train on N training examples only (every len/N-th one); 0: all")
    # architecture (ignored with --init)
    p.add_argument("--widths", default="16,32,64", help="resnet: channels per stage")
    p.add_argument("--blocks", default="1,1,1", help="resnet: BasicBlocks per stage")
    p.add_argument("--hidden", type=int, default=64, help="bert")
    p.add_argument("--layers", type=int, default=4, help="bert")
    p.add_argument("--heads", type=int, default=4, help="bert")
    p.add_argument("--mlp-dim", type=int, default=256, help="bert")
    p.add_argument("--dropout", type=float, default=0.1, help="bert (training only)")
    a = p.parse_args(argv)
    if a.finetune_epochs and not a.prune:
        p.error("--finetune-epochs needs --prune")
    a.targets = a.target_sparsity
    if a.layer_target:
        a.targets = {"*": a.target_sparsity}
        for item in a.layer_target:
            name, _, frac = item.partition("=")
            try:
                a.targets[name] = float(frac)
            except ValueError:
                p.error(f"--layer-target {item}: expected NAME=FRACTION")
    if a.budget and a.target_sparsity is None:
        p.error("--budget needs --target-sparsity")
    a.layer_min = []
    for item in a.layer_min_col_sparsity:
        prefix, _, frac = item.partition("=")
        try:
            a.layer_min.append((prefix, float(frac)))
        except ValueError:
            p.error(f"--layer-min-col-sparsity {item}: expected PREFIX=FRACTION")
    # fields train.run_phase reads
    a.sam_rho, a.act_l1 = 0.0, 0.0
    return a


def export_only(folder, data_folder=None):
    """Rewrites FOLDER/model.onnx and its reference inputs and logits from the folder's
    safetensors (e.g. with this machine's torch); resnet: the reference inputs are taken from
    the Fashion-MNIST test set again (pixel / 255), bert: the shipped token ids are kept."""
    model, _ = load_folder(folder)
    if model.family == "resnet":
        xte_u, yte = data.load("t10k", data_folder)
        x, y = image_reference(xte_u, yte)
    else:
        x = torch.from_numpy(np.load(os.path.join(folder, "reference_inputs.npy")))
        y = torch.from_numpy(np.load(os.path.join(folder, "reference_labels.npy")))
    write_onnx_and_reference(model, folder, x, y)
    train.log(f"{folder}: model.onnx and reference logits written (torch {torch.__version__})")
    return 0


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) == 2 and argv[0] == "--export-only":
        return export_only(argv[1])
    a = parse_args(argv)
    t_start = time.time()
    dev, gen = train.setup_run(a)

    if a.model == "resnet":
        mean, std = nets.FMNIST_MEAN, nets.FMNIST_STD
        xtr_u, ytr = data.load("train", a.data)
        xte_u, yte = data.load("t10k", a.data)
        xtr = data.normalize(torch.from_numpy(xtr_u), mean, std)
        xte = data.normalize(torch.from_numpy(xte_u), mean, std)
        ytr, yte = torch.from_numpy(ytr), torch.from_numpy(yte)
        bg = (0.0 - mean) / std
        dataset = "Fashion-MNIST (train 60000 / t10k 10000)"
    else:
        xtr, ytr, xte, yte, meta = load_text(a.data or TEXT_DIR)
        bg = 0.0
        if a.augment:
            raise SystemExit("--augment is for images (resnet)")
        dataset = (f"fortunes ({', '.join(meta['categories'])}): {len(xtr)} train / {len(xte)} test, "
                   f"{meta['seq_len']} tokens, vocabulary {meta['vocab_size']}")
    # The reference examples: N_REFERENCE test examples evenly spread over the test set (the
    # text test set is ordered by class).
    if a.model == "resnet":
        ref_x, ref_y = image_reference(xte_u, yte.numpy())
    else:
        ref = torch.arange(N_REFERENCE) * (len(xte) // N_REFERENCE)
        ref_x, ref_y = xte[ref].clone(), yte[ref].clone()
    if a.train_subset:
        step = max(1, len(xtr) // a.train_subset)
        xtr, ytr = xtr[::step][:a.train_subset], ytr[::step][:a.train_subset]
        dataset += f", training on {len(xtr)} of them (every {step}th)"
    if a.smoke:
        xtr, ytr = xtr[::max(1, len(xtr) // 512)][:512], ytr[::max(1, len(ytr) // 512)][:512]
        xte, yte = xte[::max(1, len(xte) // 256)][:256], yte[::max(1, len(yte) // 256)][:256]
        a.batch_size = min(a.batch_size, 64)
        dataset = "smoke subset"

    if a.init:
        model, cfg0 = load_folder(a.init, a.dropout if a.model == "bert" else 0.0)
        if cfg0["model_type"] != a.model:
            raise SystemExit(f"--init {a.init} holds a {cfg0['model_type']}, not a {a.model}")
        model.train()
    elif a.model == "resnet":
        model = ResNet([int(v) for v in a.widths.split(",")], [int(v) for v in a.blocks.split(",")])
    else:
        model = BertClassifier(meta["vocab_size"], a.hidden, a.layers, a.heads, a.mlp_dim,
                               meta["seq_len"], meta["seq_len"], len(meta["categories"]), dropout=a.dropout)
    model.to(dev)
    xtr, ytr, xte, yte = xtr.to(dev), ytr.to(dev), xte.to(dev), yte.to(dev)
    n_params = sum(p.numel() for p in model.parameters())
    train.log(f"{a.model}: {n_params} parameters on {dev}, {len(xtr)} training / {len(xte)} test examples, "
              f"seed {a.seed}")
    if a.init:
        train.log(f"init {a.init}: test {100 * train.evaluate(model, xte, yte):.2f}%")
    last = "fc" if a.model == "resnet" else "classifier"
    topped = {}
    if a.init and not a.prune:
        if rp.attach_existing(model, exclude=[last]):
            raise SystemExit("--init of a pruned model without --prune is not supported here")
    if a.prune:
        rp.attach(model, exclude=[last], init=a.gate_init)
        gate_batchnorms(model)
        if a.gate_init_bn:
            init_gates_from_bn(model)
        if a.budget:
            rp.set_budget(model, a.targets)
        model.to(dev)
        train.run_phase(model, "prune", a.epochs, xtr, ytr, xte, yte, a, gen, bg, a.lr, True)
        if a.min_col_sparsity > 0:
            topped = rp.enforce_min_sparsity(model, a.min_col_sparsity)
        names = [n for n, *_ in rp.gated_modules(model)]
        for prefix, frac in a.layer_min:
            for k, v in rp.enforce_min_sparsity(model, frac, [n for n in names if not n.startswith(prefix)]).items():
                topped[k] = topped.get(k, 0) + v
        if topped:
            train.log(f"--min-col-sparsity: closed {topped}")
        rp.freeze(model)
        train.log("masks frozen: " + train.sparsity_line(model) +
                  f"; test {100 * train.evaluate(model, xte, yte):.2f}%")
        train.run_phase(model, "finetune", a.finetune_epochs, xtr, ytr, xte, yte, a, gen, bg,
                        a.finetune_lr or a.lr, False)
        bake(model)
    else:
        train.run_phase(model, "train", a.epochs, xtr, ytr, xte, yte, a, gen, bg, a.lr, False)
    model.eval()
    acc_mem = train.evaluate(model, xte, yte)
    training = {
        "command": "python3 -m models.train.workloads " + " ".join(shlex.quote(x) for x in argv),
        "seed": a.seed, "epochs": a.epochs, "finetune_epochs": a.finetune_epochs if a.prune else 0,
        "init": a.init, "pruned": a.prune, "smoke": a.smoke,
        "parameters": sum(p.numel() for p in model.parameters()),
        "device": str(dev) + (f" ({torch.cuda.get_device_name(dev)})" if dev.type == "cuda" else ""),
        "torch": torch.__version__, "dataset": dataset,
    }
    if a.prune:
        training.update({"mu": a.mu, "normalize": a.normalize, "target_sparsity": a.targets,
                         "ungated": [last], "gate_lr": a.gate_lr, "min_col_sparsity": a.min_col_sparsity,
                         "layer_min_col_sparsity": dict(a.layer_min), "gate_init_bn": a.gate_init_bn, "budget": a.budget,
                         "min_col_sparsity_closed": topped})
    cfg = write_folder(model, a.out, training, ref_x.cpu(), ref_y.cpu())
    back, _ = load_folder(a.out)
    acc = train.evaluate(back, xte.cpu(), yte.cpu())
    with torch.no_grad():
        diff = float((onnx_module(back)(ref_x.cpu()) - torch.from_numpy(np.load(os.path.join(a.out, "reference_logits.npy"))))
                     .abs().max())
    cfg["training"]["test_accuracy"] = round(acc, 6)
    cfg["training"]["seconds"] = round(time.time() - t_start, 1)
    export.write_config(a.out, cfg)
    sp = cfg["training"]["sparsity"]
    train.log(f"exported {a.out}: test accuracy {100 * acc:.2f}% (trained model {100 * acc_mem:.2f}% on {dev}), "
              f"reload max |diff| {diff:.2e}, column sparsity {100 * sp['column_sparsity']:.1f}% "
              f"({sp['pruned_outputs']}/{sp['outputs']})")
    for name, lay in sp["layers"].items():
        train.log(f"  {name}: {lay['pruned_outputs']}/{lay['outputs']} outputs pruned, "
                  f"{lay['pruned_inputs']}/{lay['inputs']} inputs")
    if diff > 1e-5 or abs(acc - acc_mem) > 0.003:
        train.log("error: the exported model does not reproduce the trained one")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
