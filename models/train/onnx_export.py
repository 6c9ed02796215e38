"""ONNX export of the C++ families' folders (mlp, lenet5, vit: config.json + model.safetensors):
a PyTorch module per family that computes exactly what rramft's folder front end computes
(models/network.cpp), with the same crossbar layers in the same order under the same names,
built from the folder's tensors alone, exported with torch.onnx.export (opset 17, batch axis
dynamic) to FOLDER/model.onnx.

The exported graph takes what rramft feeds a float ONNX input from Fashion-MNIST idx data,
x = pixel / 255, shape (batch, channels, size, size), and normalises it itself,
(x - input_mean) / input_std, so `--model FOLDER/model.onnx` and `--model FOLDER` read the same
data and give the same logits. ViT: query, key and value are three linear layers (three
crossbar layers, as in the folder), not one fused in_proj.

    /usr/bin/python3 -m models.train.onnx_export models/zoo/vit-dense [more folders]
    /usr/bin/python3 -m models.train.onnx_export --zoo          # every mlp/lenet5/vit zoo model
    /usr/bin/python3 -m models.train.onnx_export --check --zoo  # are the committed files current?

(bert and resnet folders get their model.onnx from models/train/workloads.py.)
"""
import inspect
import io
import json
import math
import os
import struct
import sys
import tempfile

import numpy as np
import onnx
import torch
import torch.nn as nn
import torch.nn.functional as F

from . import export

OPSET = 17
FAMILIES = ("mlp", "lenet5", "vit")


def _linear(t, name):
    w = torch.from_numpy(np.array(t[name + ".weight"]))
    lin = nn.Linear(w.shape[1], w.shape[0], bias=name + ".bias" in t)
    with torch.no_grad():
        lin.weight.copy_(w)
        if lin.bias is not None:
            lin.bias.copy_(torch.from_numpy(np.array(t[name + ".bias"])))
    return lin


def _conv(t, name, stride=1):
    w = torch.from_numpy(np.array(t[name + ".weight"]))
    conv = nn.Conv2d(w.shape[1], w.shape[0], tuple(w.shape[2:]), stride=stride,
                     bias=name + ".bias" in t)
    with torch.no_grad():
        conv.weight.copy_(w)
        if conv.bias is not None:
            conv.bias.copy_(torch.from_numpy(np.array(t[name + ".bias"])))
    return conv


def _layer_norm(t, name, eps):
    w = torch.from_numpy(np.array(t[name + ".weight"]))
    ln = nn.LayerNorm(w.shape[0], eps=eps)
    with torch.no_grad():
        ln.weight.copy_(w)
        ln.bias.copy_(torch.from_numpy(np.array(t[name + ".bias"])))
    return ln


def _act(name):
    return {"relu": F.relu, "gelu": F.gelu, "tanh": torch.tanh, "sigmoid": torch.sigmoid,
            "gelu_new": lambda x: F.gelu(x, approximate="tanh"),
            "gelu_pytorch_tanh": lambda x: F.gelu(x, approximate="tanh")}[name]


class Normalize(nn.Module):
    """(x - input_mean) / input_std, as the folder front end preprocesses pixel / 255."""

    def __init__(self, cfg):
        super().__init__()
        self.mean = float(np.float32(cfg.get("input_mean", 0.0)))
        self.std = float(np.float32(cfg.get("input_std", 1.0)))

    def forward(self, x):
        if self.mean != 0.0:
            x = x - self.mean
        if self.std != 1.0:
            x = x / self.std
        return x


class MLP(nn.Module):
    def __init__(self, cfg, t):
        super().__init__()
        self.norm_in = Normalize(cfg)
        self.n = len(cfg["layer_sizes"]) - 1
        for k in range(1, self.n + 1):
            setattr(self, f"fc{k}", _linear(t, f"fc{k}"))
        self.act = _act(cfg.get("activation", "relu"))

    def forward(self, x):
        x = self.norm_in(x).flatten(1)
        for k in range(1, self.n + 1):
            x = getattr(self, f"fc{k}")(x)
            if k < self.n:
                x = self.act(x)
        return x


class LeNet5(nn.Module):
    def __init__(self, cfg, t):
        super().__init__()
        self.norm_in = Normalize(cfg)
        self.conv1, self.conv2 = _conv(t, "conv1"), _conv(t, "conv2")
        self.fc1, self.fc2, self.fc3 = _linear(t, "fc1"), _linear(t, "fc2"), _linear(t, "fc3")

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv1(self.norm_in(x))), 2)
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        x = F.relu(self.fc1(x.flatten(1)))
        return self.fc3(F.relu(self.fc2(x)))


class ViTLayer(nn.Module):
    """Pre-norm encoder layer with Hugging Face ViT names: separate query/key/value layers."""

    def __init__(self, t, p, heads, eps, act):
        super().__init__()
        self.heads, self.act = heads, act
        self.layernorm_before = _layer_norm(t, p + "layernorm_before", eps)
        self.query = _linear(t, p + "attention.attention.query")
        self.key = _linear(t, p + "attention.attention.key")
        self.value = _linear(t, p + "attention.attention.value")
        self.attention_output = _linear(t, p + "attention.output.dense")
        self.layernorm_after = _layer_norm(t, p + "layernorm_after", eps)
        self.intermediate = _linear(t, p + "intermediate.dense")
        self.output = _linear(t, p + "output.dense")

    def forward(self, h):
        b, n, d = h.shape
        dh = d // self.heads
        a = self.layernorm_before(h)

        def split(z):
            return z.reshape(b, n, self.heads, dh).transpose(1, 2)

        q, k, v = split(self.query(a)), split(self.key(a)), split(self.value(a))
        s = torch.softmax(q @ k.transpose(-2, -1) / math.sqrt(dh), dim=-1)
        ctx = (s @ v).transpose(1, 2).reshape(b, n, d)
        h = h + self.attention_output(ctx)
        return h + self.output(self.act(self.intermediate(self.layernorm_after(h))))


class ViT(nn.Module):
    def __init__(self, cfg, t):
        super().__init__()
        p = "vit." if "vit.embeddings.cls_token" in t else ""
        eps = float(cfg.get("layer_norm_eps", 1e-12))
        self.norm_in = Normalize(cfg)
        self.patch = _conv(t, p + "embeddings.patch_embeddings.projection", cfg["patch_size"])
        self.cls_token = nn.Parameter(torch.from_numpy(np.array(t[p + "embeddings.cls_token"])))
        self.pos = nn.Parameter(torch.from_numpy(np.array(t[p + "embeddings.position_embeddings"])))
        act = _act(cfg.get("hidden_act", "gelu"))
        self.layers = nn.ModuleList([
            ViTLayer(t, f"{p}encoder.layer.{i}.", cfg["num_attention_heads"], eps, act)
            for i in range(cfg["num_hidden_layers"])])
        self.layernorm = _layer_norm(t, p + "layernorm", eps)
        self.classifier = _linear(t, "classifier")

    def forward(self, x):
        x = self.patch(self.norm_in(x)).flatten(2).transpose(1, 2)
        h = torch.cat([self.cls_token.expand(x.shape[0], -1, -1), x], dim=1) + self.pos
        for layer in self.layers:
            h = layer(h)
        return self.classifier(self.layernorm(h[:, 0]))


def module_of(folder):
    """(module in eval mode, config, example input) of a folder of family mlp, lenet5 or vit."""
    with open(os.path.join(folder, "config.json")) as f:
        cfg = json.load(f)
    fam = cfg.get("model_type")
    if fam not in FAMILIES:
        raise ValueError(f"{folder}: model_type '{fam}' is not one of {', '.join(FAMILIES)}")
    t, _ = export.load_safetensors(os.path.join(folder, "model.safetensors"))
    model = {"mlp": MLP, "lenet5": LeNet5, "vit": ViT}[fam](cfg, t).eval()
    if fam == "mlp":
        n = cfg["layer_sizes"][0]
        side = int(round(math.sqrt(n)))
        shape = (1, side, side) if side * side == n else (n,)
    else:
        c = cfg.get("in_channels", cfg.get("num_channels", 1))
        shape = (c, cfg["image_size"], cfg["image_size"])
    return model, cfg, torch.rand((2,) + shape)


def safetensors_ranges(path):
    """{tensor bytes: (offset, length)} of the tensors of a safetensors file (offsets from the
    start of the file)."""
    with open(path, "rb") as f:
        raw = f.read()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + n].decode())
    header.pop("__metadata__", None)
    out = {}
    for e in header.values():
        b, end = e["data_offsets"]
        out.setdefault(raw[8 + n + b:8 + n + end], (8 + n + b, end - b))
    return out


def write_onnx(folder, path=None):
    """Writes FOLDER/model.onnx (or @p path) and returns the path. Every initializer whose bytes
    are a tensor of FOLDER/model.safetensors is stored as ONNX external data pointing into that
    file (location, offset, length) instead of a second copy: the .onnx holds the graph, and
    reads its weights from the safetensors file beside it (rramft and onnx.load do)."""
    model, _, example = module_of(folder)
    path = path or os.path.join(folder, "model.onnx")
    kw = {}
    if "dynamo" in inspect.signature(torch.onnx.export).parameters:
        kw["dynamo"] = False  # torch >= 2.9 defaults to the dynamo exporter
    buf = io.BytesIO()
    # No constant folding: weights keep their stored layout (a linear layer on 3-D activations
    # is MatMul(x, Transpose(W)), which rramft folds at import), so they match the file's bytes.
    with torch.no_grad():
        torch.onnx.export(model, (example,), buf, opset_version=OPSET, input_names=["input"],
                          output_names=["logits"],
                          dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}},
                          do_constant_folding=False, **kw)
    m = onnx.load_from_string(buf.getvalue())
    ranges = safetensors_ranges(os.path.join(folder, "model.safetensors"))
    for t in m.graph.initializer:
        if t.data_type == onnx.TensorProto.FLOAT and t.HasField("raw_data") and t.raw_data in ranges:
            off, length = ranges[t.raw_data]
            t.ClearField("raw_data")
            t.data_location = onnx.TensorProto.EXTERNAL
            for k, v in (("location", "model.safetensors"), ("offset", str(off)),
                         ("length", str(length))):
                t.external_data.add(key=k, value=v)
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(m.SerializeToString())
    os.replace(tmp, path)
    return path


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    check = argv[:1] == ["--check"]  # compare with the committed files instead of writing
    if check:
        argv = argv[1:]
    if argv == ["--zoo"]:
        zoo = os.path.normpath(os.path.join(os.path.dirname(__file__), "..", "zoo"))
        argv = []
        for name in sorted(os.listdir(zoo)):
            cfg = os.path.join(zoo, name, "config.json")
            if os.path.isfile(cfg):
                with open(cfg) as f:
                    if json.load(f).get("model_type") in FAMILIES:
                        argv.append(os.path.join(zoo, name))
    if not argv or any(a.startswith("-") for a in argv):
        print(__doc__.strip(), file=sys.stderr)
        return 2
    torch.set_num_threads(1)
    stale = []
    for folder in argv:
        if check:
            p = os.path.join(folder, "model.onnx")
            with tempfile.TemporaryDirectory() as tmp:  # the bytes do not depend on the path
                fresh = write_onnx(folder, os.path.join(tmp, "model.onnx"))
                with open(p, "rb") as a, open(fresh, "rb") as b:
                    same = a.read() == b.read()
            print(f"{p}: {'current' if same else 'STALE (run without --check to rewrite it)'}")
            if not same:
                stale.append(p)
            continue
        p = write_onnx(folder)
        print(f"{p}: {os.path.getsize(p)} bytes (weights: model.safetensors)")
    return 1 if stale else 0


if __name__ == "__main__":
    sys.exit(main())
