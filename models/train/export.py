"""Export to the Hugging Face folder layout the C++ loader reads (models/model.cpp):
config.json + model.safetensors (F32, written here with numpy + json + struct), and the
way back (load_export) for tests and parity checks.

Pruned outputs are stored as exact +0.0 rows (weights and bias). Where a pruned output can
only ever feed an exact 0 into the next layer, the matching input columns of that layer are
zeroed too (propagate()): this changes no output and frees crossbar rows as well.
"""
import json
import os
import struct

import numpy as np
import torch
from torch.nn.utils import parametrize

from . import nets

# ----------------------------------------------------------------------------- safetensors


def save_safetensors(path, tensors, metadata=None):
    """tensors: {name: array}, written as little-endian F32 in sorted name order. The header
    is padded with spaces to a multiple of 8 bytes; offsets are relative to the data start."""
    header = {}
    if metadata:
        header["__metadata__"] = {str(k): str(v) for k, v in metadata.items()}
    blobs, offset = [], 0
    for name in sorted(tensors):
        a = np.ascontiguousarray(tensors[name], dtype="<f4")
        if not np.all(np.isfinite(a)):
            raise ValueError(f"{path}: tensor '{name}' has NaN or Inf")
        header[name] = {"dtype": "F32", "shape": list(a.shape), "data_offsets": [offset, offset + a.nbytes]}
        offset += a.nbytes
        blobs.append(a.tobytes())
    text = json.dumps(header, sort_keys=True, separators=(",", ":")).encode()
    text += b" " * ((8 - len(text) % 8) % 8)
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for b in blobs:
            f.write(b)
    os.replace(tmp, path)


def load_safetensors(path):
    """{name: float32 array} (F32 only) and the metadata dict."""
    with open(path, "rb") as f:
        raw = f.read()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + n].decode())
    meta = header.pop("__metadata__", {})
    data = raw[8 + n:]
    out = {}
    for name, e in header.items():
        if e["dtype"] != "F32":
            raise ValueError(f"{path}: tensor '{name}' has dtype {e['dtype']}, only F32 is read here")
        b, end = e["data_offsets"]
        out[name] = np.frombuffer(data[b:end], dtype="<f4").reshape(e["shape"]).copy()
    return out, meta

# ----------------------------------------------------------------------------- tensor names


def effective_state(model):
    """{torch name: tensor} with every parametrized tensor (gated weight or bias) read through
    its parametrization, i.e. masked; gates and raw originals left out."""
    sd = {}
    for mname, mod in model.named_modules():
        if "parametrizations" in mname.split("."):
            continue
        pre = mname + "." if mname else ""
        for pname, p in mod.named_parameters(recurse=False):
            sd[pre + pname] = p.detach()
        for bname, b in mod.named_buffers(recurse=False):
            sd[pre + bname] = b.detach()
        if parametrize.is_parametrized(mod):
            for attr in mod.parametrizations.keys():
                sd[pre + attr] = getattr(mod, attr).detach()
    return sd


def _vit_map(n_layers):
    """[(hf name, torch name, row slice index or None)]; in_proj rows split q, k, v."""
    m = [("vit.embeddings.cls_token", "cls_token", None),
         ("vit.embeddings.position_embeddings", "pos", None),
         ("vit.embeddings.patch_embeddings.projection.weight", "patch.weight", None),
         ("vit.embeddings.patch_embeddings.projection.bias", "patch.bias", None)]
    for i in range(n_layers):
        h, t = f"vit.encoder.layer.{i}.", f"blocks.{i}."
        for j, qkv in enumerate(("query", "key", "value")):
            m.append((h + f"attention.attention.{qkv}.weight", t + "self_attn.in_proj_weight", j))
            m.append((h + f"attention.attention.{qkv}.bias", t + "self_attn.in_proj_bias", j))
        for hn, tn in (("attention.output.dense", "self_attn.out_proj"), ("intermediate.dense", "linear1"),
                       ("output.dense", "linear2"), ("layernorm_before", "norm1"), ("layernorm_after", "norm2")):
            m.append((h + hn + ".weight", t + tn + ".weight", None))
            m.append((h + hn + ".bias", t + tn + ".bias", None))
    m += [("vit.layernorm.weight", "norm.weight", None), ("vit.layernorm.bias", "norm.bias", None),
          ("classifier.weight", "classifier.weight", None), ("classifier.bias", "classifier.bias", None)]
    return m


def to_hf(model):
    """{Hugging Face name: float32 numpy array} of the model's effective (masked) tensors;
    every zero is +0.0."""
    sd = {k: v.float().cpu().numpy() for k, v in effective_state(model).items()}
    if model.family in ("mlp", "lenet5"):
        out = dict(sd)
    else:
        out = {}
        used = set()
        for hf, tn, j in _vit_map(model.cfg["num_hidden_layers"]):
            a = sd[tn]
            used.add(tn)
            if j is not None:
                n = a.shape[0] // 3
                a = a[j * n:(j + 1) * n]
            out[hf] = a
        left = set(sd) - used
        if left:
            raise ValueError(f"to_hf: tensors with no Hugging Face name: {sorted(left)}")
    return {k: np.ascontiguousarray(v, dtype=np.float32) + np.float32(0.0) for k, v in out.items()}


def from_hf(model, tensors):
    """Loads Hugging Face-named arrays into a plain (ungated) model, strictly."""
    if model.family in ("mlp", "lenet5"):
        sd = {k: torch.from_numpy(np.array(v)) for k, v in tensors.items()}
    else:
        sd, parts = {}, {}
        for hf, tn, j in _vit_map(model.cfg["num_hidden_layers"]):
            if hf not in tensors:
                raise KeyError(f"missing tensor '{hf}'")
            if j is None:
                sd[tn] = torch.from_numpy(np.array(tensors[hf]))
            else:
                parts.setdefault(tn, [None] * 3)[j] = tensors[hf]
        for tn, ps in parts.items():
            sd[tn] = torch.from_numpy(np.concatenate(ps, axis=0))
        extra = set(tensors) - {hf for hf, _, _ in _vit_map(model.cfg["num_hidden_layers"])}
        if extra:
            raise KeyError(f"unexpected tensors {sorted(extra)}")
    model.load_state_dict(sd, strict=True)
    return model

# ----------------------------------------------------------------------------- pruning view


def mapped_layers(cfg):
    """Prefixes of the weight-stationary (crossbar) layers in the C++ loader's order."""
    t = cfg["model_type"]
    if t == "mlp":
        return [f"fc{k}" for k in range(1, len(cfg["layer_sizes"]))]
    if t == "lenet5":
        return ["conv1", "conv2", "fc1", "fc2", "fc3"]
    names = ["vit.embeddings.patch_embeddings.projection"]
    for i in range(cfg["num_hidden_layers"]):
        h = f"vit.encoder.layer.{i}."
        names += [h + "attention.attention.query", h + "attention.attention.key",
                  h + "attention.attention.value", h + "attention.output.dense",
                  h + "intermediate.dense", h + "output.dense"]
    return names + ["classifier"]


def dead_outputs(t, prefix):
    """Outputs of layer @p prefix that are exactly 0 for every input: weight row and bias 0."""
    w = t[prefix + ".weight"]
    dead = ~np.any(w.reshape(w.shape[0], -1) != 0, axis=1)
    if prefix + ".bias" in t:
        dead &= t[prefix + ".bias"] == 0
    return np.nonzero(dead)[0]


def propagate(cfg, t):
    """Zeroes weights that can only ever multiply an exact 0 (in place); exact, no output
    changes. mlp/lenet5: a dead output (then relu, max pooling) feeds the next layer's input
    columns. vit: a dead value dim feeds attention.output.dense's input column; a dead
    intermediate unit (GELU(0) = 0) feeds output.dense's column; a dead query dim makes the
    same key dim useless and vice versa (q_j * k_j = 0), so both rows and biases are zeroed."""
    typ = cfg["model_type"]
    if typ == "mlp":
        n = len(cfg["layer_sizes"]) - 1
        chain = [(f"fc{k}", f"fc{k + 1}", 1) for k in range(1, n)]
    elif typ == "lenet5":
        s = ((cfg["image_size"] - 4) // 2 - 4) // 2
        chain = [("conv1", "conv2", 1), ("conv2", "fc1", s * s), ("fc1", "fc2", 1), ("fc2", "fc3", 1)]
    else:
        chain = []
        for i in range(cfg["num_hidden_layers"]):
            h = f"vit.encoder.layer.{i}."
            q, k = h + "attention.attention.query", h + "attention.attention.key"
            dead = np.union1d(dead_outputs(t, q), dead_outputs(t, k))
            for p in (q, k):
                t[p + ".weight"][dead] = 0.0
                t[p + ".bias"][dead] = 0.0
            chain += [(h + "attention.attention.value", h + "attention.output.dense", 1),
                      (h + "intermediate.dense", h + "output.dense", 1)]
    for prod, cons, group in chain:
        w = t[cons + ".weight"]
        for j in dead_outputs(t, prod):
            w[:, j * group:(j + 1) * group] = 0.0
    for k in t:
        t[k] = t[k] + np.float32(0.0)  # -0.0 -> +0.0
    return t


def sparsity_report(cfg, t):
    """Per mapped layer, what the mapper will see: outputs (crossbar columns before bit
    slicing) whose weights are all zero, and inputs (crossbar rows) likewise; and overall."""
    layers, pruned_total, cols_total = {}, 0, 0
    for p in mapped_layers(cfg):
        w = t[p + ".weight"]
        w2 = w.reshape(w.shape[0], -1)
        rows_in = w.shape[1] * (int(np.prod(w.shape[2:])) if w.ndim > 2 else 1)
        zero_cols = int((~np.any(w2 != 0, axis=1)).sum())
        w_in = w.reshape(w.shape[0], w.shape[1], -1).transpose(1, 2, 0).reshape(-1, w.shape[0]) \
            if w.ndim > 2 else w.T
        zero_rows = int((~np.any(w_in != 0, axis=1)).sum())
        bias_left = 0
        if p + ".bias" in t:
            dead_w = ~np.any(w2 != 0, axis=1)
            bias_left = int((t[p + ".bias"][dead_w] != 0).sum())
        layers[p] = {"outputs": int(w.shape[0]), "pruned_outputs": zero_cols,
                     "column_sparsity": round(zero_cols / w.shape[0], 6),
                     "inputs": rows_in, "pruned_inputs": zero_rows,
                     "row_sparsity": round(zero_rows / rows_in, 6)}
        if bias_left:
            layers[p]["zero_rows_with_bias"] = bias_left
        pruned_total += zero_cols
        cols_total += int(w.shape[0])
    return {"layers": layers, "pruned_outputs": pruned_total, "outputs": cols_total,
            "column_sparsity": round(pruned_total / cols_total, 6)}

def quantize_np(w, bits, per_channel=False):
    """The C++ engine's weight quantization (core/quant.cpp, docs/design.md) in numpy double:
    (integer magnitudes with sign, scales). One scale per layer, or per output row."""
    mmax = 2 ** (bits - 1) - 1
    rows = np.asarray(w, dtype=np.float64).reshape(w.shape[0], -1)
    mx = np.abs(rows).max(axis=1, keepdims=True) if per_channel else np.abs(rows).max(keepdims=True)
    s = np.where(mx > 0, mx / mmax, 1.0)
    m = np.minimum(mmax, np.floor(np.abs(rows) / s + 0.5))
    # floor(x + 0.5) rounds x = 0.5 - 2^-54 up; fix those so this is std::round exactly.
    x = np.abs(rows) / s
    m = np.where(m - x > 0.5, m - 1, m)
    return (np.sign(rows) * m).reshape(w.shape), s


def quant_grid_error(cfg, t, bits, per_channel=False):
    """Largest |w - Q(w)| over the mapped layers' weights, in quantization steps of their
    layer: 0 when the exported weights already sit on the n-bit grid, i.e. when the
    accelerator's quantization reproduces them."""
    worst = 0.0
    for p in mapped_layers(cfg):
        w = np.asarray(t[p + ".weight"], dtype=np.float64)
        q, s = quantize_np(w, bits, per_channel)
        rows = w.reshape(w.shape[0], -1)
        err = np.abs(rows - q.reshape(rows.shape) * s) / s
        worst = max(worst, float(err.max()))
    return worst


# ----------------------------------------------------------------------------- folders


def export(model, out_dir, input_mean, input_std, training=None, metadata=None):
    """Writes out_dir/config.json and out_dir/model.safetensors; returns (config, tensors)."""
    cfg = model.config()
    cfg["input_mean"] = float(input_mean)
    cfg["input_std"] = float(input_std)
    t = propagate(cfg, to_hf(model))
    if training is not None:
        cfg["training"] = dict(training)
        cfg["training"]["sparsity"] = sparsity_report(cfg, t)
    os.makedirs(out_dir, exist_ok=True)
    meta = {"format": "pt", "generator": "models/train"}
    meta.update(metadata or {})
    save_safetensors(os.path.join(out_dir, "model.safetensors"), t, meta)
    write_config(out_dir, cfg)
    return cfg, t


def write_config(out_dir, cfg):
    path = os.path.join(out_dir, "config.json")
    with open(path + ".tmp", "w") as f:
        json.dump(cfg, f, indent=2)
        f.write("\n")
    os.replace(path + ".tmp", path)


def load_export(folder):
    """(plain torch model in eval mode, config dict) of an exported folder."""
    with open(os.path.join(folder, "config.json")) as f:
        cfg = json.load(f)
    t, _ = load_safetensors(os.path.join(folder, "model.safetensors"))
    model = from_hf(nets.from_config(cfg), t)
    return model.eval(), cfg
