"""Tests of models/train export: the safetensors bytes, the Hugging Face names the C++ loader
(models/model.cpp) needs, exact zeros of pruned rows/columns, and reference forwards written
from the exported tensors alone (what the C++ engine computes) against the PyTorch models."""
import json
import math
import os
import struct
import subprocess
import sys
import tempfile
import unittest

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
sys.path.insert(0, REPO)

import numpy as np  # noqa: E402
import torch  # noqa: E402

from models.train import data, export, nets  # noqa: E402
from models.train import rramft_prune as rp  # noqa: E402


def tiny_vit():
    return nets.ViT(image_size=28, patch_size=7, hidden_size=16, num_hidden_layers=2,
                    num_attention_heads=2, intermediate_size=24)


def gate_randomly(model, exclude, seed, p_closed=0.35):
    rp.attach(model, exclude=exclude)
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in rp.gate_parameters(model):
            u = torch.rand(p.shape, generator=g)
            p.copy_(torch.where(u < p_closed, -0.5 - u, 0.5 + u))
        for p in rp.weight_parameters(model):  # make biases visible
            p.add_(0.05 * torch.randn(p.shape, generator=g))
    return model.eval()


# --------------------------------------------------------------- reference forwards (numpy)

def ln(x, w, b, eps):
    mu = x.mean(-1, keepdims=True)
    var = ((x - mu) ** 2).mean(-1, keepdims=True)
    return (x - mu) / np.sqrt(var + eps) * w + b


def gelu(x):
    return 0.5 * x * (1 + np.vectorize(math.erf)(x / math.sqrt(2)))


def conv_valid(x, w, b, stride=1):
    """x (B, C, H, W), w (O, C, k, k): im2col, rows ordered (c, ky, kx) like the crossbar."""
    B, C, H, W = x.shape
    O, _, k, _ = w.shape
    oh, ow = (H - k) // stride + 1, (W - k) // stride + 1
    cols = np.empty((B, oh, ow, C * k * k))
    for i in range(oh):
        for j in range(ow):
            cols[:, i, j] = x[:, :, i * stride:i * stride + k, j * stride:j * stride + k].reshape(B, -1)
    y = cols @ w.reshape(O, -1).T + b
    return y.transpose(0, 3, 1, 2)


def maxpool2(x):
    B, C, H, W = x.shape
    return x[:, :, :H // 2 * 2, :W // 2 * 2].reshape(B, C, H // 2, 2, W // 2, 2).max(axis=(3, 5))


def ref_mlp(t, cfg, x):
    h = x.reshape(len(x), -1)
    n = len(cfg["layer_sizes"]) - 1
    for k in range(1, n + 1):
        h = h @ t[f"fc{k}.weight"].T + t[f"fc{k}.bias"]
        if k < n:
            h = np.maximum(h, 0)
    return h


def ref_lenet5(t, cfg, x):
    h = maxpool2(np.maximum(conv_valid(x, t["conv1.weight"], t["conv1.bias"]), 0))
    h = maxpool2(np.maximum(conv_valid(h, t["conv2.weight"], t["conv2.bias"]), 0))
    h = h.reshape(len(h), -1)  # (C, H, W) order
    h = np.maximum(h @ t["fc1.weight"].T + t["fc1.bias"], 0)
    h = np.maximum(h @ t["fc2.weight"].T + t["fc2.bias"], 0)
    return h @ t["fc3.weight"].T + t["fc3.bias"]


def ref_vit(t, cfg, x):
    """Hugging Face ViTForImageClassification semantics, from the exported names only."""
    H, nh, eps, P = cfg["hidden_size"], cfg["num_attention_heads"], cfg["layer_norm_eps"], cfg["patch_size"]
    d = H // nh
    pre = "vit.embeddings."
    p = conv_valid(x, t[pre + "patch_embeddings.projection.weight"], t[pre + "patch_embeddings.projection.bias"], P)
    B = len(x)
    p = p.reshape(B, H, -1).transpose(0, 2, 1)  # patches row-major
    h = np.concatenate([np.repeat(t[pre + "cls_token"], B, 0), p], 1) + t[pre + "position_embeddings"]
    lin = lambda z, name: z @ t[name + ".weight"].T + t[name + ".bias"]  # noqa: E731
    for i in range(cfg["num_hidden_layers"]):
        L = f"vit.encoder.layer.{i}."
        z = ln(h, t[L + "layernorm_before.weight"], t[L + "layernorm_before.bias"], eps)
        q, k, v = (lin(z, L + "attention.attention." + n).reshape(B, -1, nh, d).transpose(0, 2, 1, 3)
                   for n in ("query", "key", "value"))
        s = q @ k.transpose(0, 1, 3, 2) / math.sqrt(d)
        s = np.exp(s - s.max(-1, keepdims=True))
        a = (s / s.sum(-1, keepdims=True)) @ v
        a = a.transpose(0, 2, 1, 3).reshape(B, -1, H)
        h = h + lin(a, L + "attention.output.dense")
        z = ln(h, t[L + "layernorm_after.weight"], t[L + "layernorm_after.bias"], eps)
        h = h + lin(gelu(lin(z, L + "intermediate.dense")), L + "output.dense")
    h = ln(h, t["vit.layernorm.weight"], t["vit.layernorm.bias"], eps)
    return lin(h[:, 0], "classifier")


def slurp(path, mode="r"):
    with open(path, mode) as f:
        return f.read()


REFS = {"mlp": ref_mlp, "lenet5": ref_lenet5, "vit": ref_vit}

# Tensors and shapes models/model.cpp requires of each family (what the loader checks).
def required(cfg):
    t = cfg["model_type"]
    if t == "mlp":
        s = cfg["layer_sizes"]
        return {**{f"fc{k}.weight": [s[k], s[k - 1]] for k in range(1, len(s))},
                **{f"fc{k}.bias": [s[k]] for k in range(1, len(s))}}
    if t == "lenet5":
        return {"conv1.weight": [6, 1, 5, 5], "conv1.bias": [6], "conv2.weight": [16, 6, 5, 5],
                "conv2.bias": [16], "fc1.weight": [120, 256], "fc1.bias": [120], "fc2.weight": [84, 120],
                "fc2.bias": [84], "fc3.weight": [10, 84], "fc3.bias": [10]}
    H, I, P, C = cfg["hidden_size"], cfg["intermediate_size"], cfg["patch_size"], cfg["num_channels"]
    T = (cfg["image_size"] // P) ** 2 + 1
    r = {"vit.embeddings.cls_token": [1, 1, H], "vit.embeddings.position_embeddings": [1, T, H],
         "vit.embeddings.patch_embeddings.projection.weight": [H, C, P, P],
         "vit.embeddings.patch_embeddings.projection.bias": [H],
         "vit.layernorm.weight": [H], "vit.layernorm.bias": [H],
         "classifier.weight": [cfg["num_labels"], H], "classifier.bias": [cfg["num_labels"]]}
    for i in range(cfg["num_hidden_layers"]):
        L = f"vit.encoder.layer.{i}."
        for n, shape in (("attention.attention.query", [H, H]), ("attention.attention.key", [H, H]),
                         ("attention.attention.value", [H, H]), ("attention.output.dense", [H, H]),
                         ("intermediate.dense", [I, H]), ("output.dense", [H, I])):
            r[L + n + ".weight"], r[L + n + ".bias"] = shape, [shape[0]]
        for n in ("layernorm_before", "layernorm_after"):
            r[L + n + ".weight"], r[L + n + ".bias"] = [H], [H]
    return r


class SafetensorsTest(unittest.TestCase):
    def test_bytes_layout(self):
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "m.safetensors")
            t = {"b": np.arange(3, dtype=np.float32), "a.w": -np.ones((2, 5), np.float32)}
            export.save_safetensors(path, t, {"k": "v"})
            raw = slurp(path, "rb")
            (n,) = struct.unpack("<Q", raw[:8])
            self.assertEqual(n % 8, 0)
            text = raw[8:8 + n].decode()
            self.assertEqual(text, text.rstrip() + " " * (len(text) - len(text.rstrip())))
            h = json.loads(text)
            self.assertEqual(h["__metadata__"], {"k": "v"})
            self.assertEqual(h["a.w"], {"dtype": "F32", "shape": [2, 5], "data_offsets": [0, 40]})
            self.assertEqual(h["b"], {"dtype": "F32", "shape": [3], "data_offsets": [40, 52]})
            self.assertEqual(len(raw), 8 + n + 52)
            self.assertEqual(raw[8 + n + 40:], np.arange(3, dtype="<f4").tobytes())
            back, meta = export.load_safetensors(path)
            self.assertTrue(np.array_equal(back["a.w"], t["a.w"]) and meta == {"k": "v"})

    def test_refuses_nan(self):
        with tempfile.TemporaryDirectory() as d:
            with self.assertRaises(ValueError):
                export.save_safetensors(os.path.join(d, "x"), {"w": np.array([np.nan], np.float32)})


class ExportTest(unittest.TestCase):
    def check_family(self, model, exclude, seed):
        model = gate_randomly(model, exclude, seed)
        x = torch.randn(4, 1, 28, 28, generator=torch.Generator().manual_seed(seed))
        ms = rp.masks(model)
        with torch.no_grad():
            y = model(x).numpy()
        with tempfile.TemporaryDirectory() as d:
            cfg, t = export.export(model, d, 0.25, 0.5, training={"seed": seed})
            on_disk = json.loads(slurp(os.path.join(d, "config.json")))
            self.assertEqual(on_disk["input_mean"], 0.25)
            self.assertEqual(on_disk["input_std"], 0.5)
            self.assertEqual(on_disk["model_type"], model.family)
            tensors, _ = export.load_safetensors(os.path.join(d, "model.safetensors"))
            # Exactly the tensors the C++ loader needs, with its shapes.
            req = required(on_disk)
            self.assertEqual(sorted(tensors), sorted(req))
            for k, shape in req.items():
                self.assertEqual(list(tensors[k].shape), shape, k)
            # Reference forward from the files alone == the gated PyTorch model.
            ref = REFS[model.family](tensors, on_disk, x.double().numpy())
            np.testing.assert_allclose(ref, y, rtol=1e-4, atol=1e-4)
            back, _ = export.load_export(d)
            with torch.no_grad():
                np.testing.assert_allclose(back(x).numpy(), y, rtol=1e-5, atol=1e-5)
        # Pruned outputs are +0.0 rows and +0.0 biases, in the exported names.
        for name, (mo, _) in ms.items():
            for hf, rows in self.pruned_rows(model.family, name, mo):
                w, b = tensors[hf + ".weight"], tensors[hf + ".bias"]
                self.assertTrue(len(rows) > 0, hf)
                self.assertTrue(np.all(w[rows] == 0) and not np.any(np.signbit(w[rows])), hf)
                self.assertTrue(np.all(b[rows] == 0) and not np.any(np.signbit(b[rows])), hf)
                self.assertTrue(np.all(np.any(w[~np.isin(np.arange(len(w)), rows)].reshape(
                    len(w) - len(rows), -1) != 0, axis=1)), hf + ": a kept row is all zero")
        self.assertFalse(any(np.signbit(v[v == 0]).any() for v in tensors.values()))
        return cfg, tensors

    @staticmethod
    def pruned_rows(family, name, mo):
        dead = np.nonzero(~mo.numpy())[0]
        if family != "vit":
            return [(name[:-len(".weight")], dead)]
        if name == "patch.weight":
            return [("vit.embeddings.patch_embeddings.projection", dead)]
        i = name.split(".")[1]
        L = f"vit.encoder.layer.{i}."
        if name.endswith("in_proj_weight"):
            n = len(mo) // 3
            # Value rows as gated; query and key rows: the union of both (export propagates).
            qk = np.union1d(dead[dead < n], dead[(dead >= n) & (dead < 2 * n)] - n)
            return [(L + "attention.attention.query", qk), (L + "attention.attention.key", qk),
                    (L + "attention.attention.value", dead[dead >= 2 * n] - 2 * n)]
        tail = {"self_attn.out_proj.weight": "attention.output.dense", "linear1.weight": "intermediate.dense",
                "linear2.weight": "output.dense"}
        return [(L + tail[name.split(".", 2)[2]], dead)]

    def test_mlp(self):
        torch.manual_seed(11)
        cfg, t = self.check_family(nets.MLP(), ["fc3"], 11)
        # Dead outputs of fc1 zero fc2's matching input columns (propagation).
        dead = export.dead_outputs(t, "fc1")
        self.assertTrue(len(dead) > 0 and np.all(t["fc2.weight"][:, dead] == 0))
        rep = cfg["training"]["sparsity"]
        self.assertEqual(rep["layers"]["fc2"]["pruned_inputs"], len(dead))
        self.assertEqual(rep["layers"]["fc1"]["pruned_outputs"], len(dead))

    def test_lenet5(self):
        torch.manual_seed(12)
        cfg, t = self.check_family(nets.LeNet5(), ["fc3"], 12)
        dead = export.dead_outputs(t, "conv2")
        self.assertTrue(len(dead) > 0)
        for c in dead:
            self.assertTrue(np.all(t["fc1.weight"][:, c * 16:(c + 1) * 16] == 0))
        self.assertTrue(np.all(t["conv2.weight"][:, export.dead_outputs(t, "conv1")] == 0))

    def test_vit(self):
        torch.manual_seed(13)
        cfg, t = self.check_family(tiny_vit(), ["classifier"], 13)
        for key, v in (("hidden_act", "gelu"), ("qkv_bias", True), ("layer_norm_eps", 1e-6),
                       ("num_labels", 10), ("num_channels", 1), ("patch_size", 7)):
            self.assertEqual(cfg[key], v)
        L = "vit.encoder.layer.0."
        dv = export.dead_outputs(t, L + "attention.attention.value")
        self.assertTrue(len(dv) > 0 and np.all(t[L + "attention.output.dense.weight"][:, dv] == 0))
        di = export.dead_outputs(t, L + "intermediate.dense")
        self.assertTrue(len(di) > 0 and np.all(t[L + "output.dense.weight"][:, di] == 0))
        rep = cfg["training"]["sparsity"]["layers"]
        self.assertEqual(list(rep)[0], "vit.embeddings.patch_embeddings.projection")
        self.assertEqual(len(rep), 1 + 6 * 2 + 1)

    def test_dense_vit_fast_path_matches_reference(self):
        # An ungated model exports too, and TransformerEncoderLayer's fast path (eval, no
        # grad) computes the same as the reference.
        torch.manual_seed(14)
        model = tiny_vit().eval()
        x = torch.randn(3, 1, 28, 28)
        with torch.no_grad():
            y = model(x).numpy()
        with tempfile.TemporaryDirectory() as d:
            cfg, t = export.export(model, d, 0.0, 1.0)
            self.assertNotIn("training", cfg)
        np.testing.assert_allclose(ref_vit(t, cfg, x.double().numpy()), y, rtol=1e-4, atol=1e-4)


@unittest.skipUnless(os.path.exists(os.path.join(data.data_dir(), "t10k-images-idx3-ubyte.gz")),
                     "Fashion-MNIST not installed")
class CliTest(unittest.TestCase):
    def test_smoke_run_is_deterministic_and_exports_pruned_zeros(self):
        outs = []
        with tempfile.TemporaryDirectory() as d:
            for k in range(2):
                out = os.path.join(d, f"m{k}")
                r = subprocess.run([sys.executable, "-m", "models.train.train", "--model", "mlp", "--smoke",
                                    "--prune", "--min-col-sparsity", "0.3", "--epochs", "1",
                                    "--finetune-epochs", "1", "--seed", "3", "--threads", "1", "--out", out],
                                   cwd=REPO, capture_output=True, text=True)
                self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
                outs.append(slurp(os.path.join(out, "model.safetensors"), "rb"))
                cfg = json.loads(slurp(os.path.join(out, "config.json")))
            self.assertEqual(outs[0], outs[1])
            sp = cfg["training"]["sparsity"]["layers"]
            self.assertEqual(sp["fc1"]["pruned_outputs"], math.ceil(0.3 * 256))
            self.assertEqual(sp["fc2"]["pruned_outputs"], math.ceil(0.3 * 128))
            self.assertEqual(sp["fc3"]["pruned_outputs"], 0)
            self.assertEqual(cfg["training"]["seed"], 3)
            self.assertIn("test_accuracy", cfg["training"])


if __name__ == "__main__":
    unittest.main()
