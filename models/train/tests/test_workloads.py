"""Tests of models/train/workloads.py (ResNet, BERT), models/train/make_bert_base.py and the
text task models/text/prepare_fortunes.py, and of the shipped zoo folders resnet-* / bert-*:
their reference logits against numpy forward passes written here from the stored tensors alone
(torchvision BasicBlock and Hugging Face BERT semantics), not from the PyTorch modules."""
import importlib.util
import json
import math
import os
import tempfile
import unittest

import numpy as np
import torch

from models.train import export
from models.train import rramft_prune as rp
from models.train import workloads as wl

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
ZOO = os.path.join(ROOT, "models", "zoo")
TEXT = os.path.join(ROOT, "models", "text")
FORTUNES = "/usr/share/games/fortunes"


def _prep_module():
    spec = importlib.util.spec_from_file_location("prepare_fortunes", os.path.join(TEXT, "prepare_fortunes.py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod

# ----------------------------------------------------------------------------- numpy oracles


def np_conv(x, w, stride, pad):
    """x (C, H, W), w (O, C, k, k): cross-correlation with zero padding, by explicit loops
    over kernel offsets (no im2col shared with any code under test)."""
    c, h, wd = x.shape
    o, _, k, _ = w.shape
    xp = np.zeros((c, h + 2 * pad, wd + 2 * pad), dtype=np.float64)
    xp[:, pad:pad + h, pad:pad + wd] = x
    ho, wo = (h + 2 * pad - k) // stride + 1, (wd + 2 * pad - k) // stride + 1
    out = np.zeros((o, ho, wo))
    for dy in range(k):
        for dx in range(k):
            patch = xp[:, dy:dy + stride * ho:stride, dx:dx + stride * wo:stride]  # (C, ho, wo)
            out += np.einsum("oc,chw->ohw", w[:, :, dy, dx], patch)
    return out


def np_bn(x, t, name, eps=1e-5):
    g, b = t[name + ".weight"], t[name + ".bias"]
    m, v = t[name + ".running_mean"], t[name + ".running_var"]
    return (x - m[:, None, None]) / np.sqrt(v[:, None, None] + eps) * g[:, None, None] + b[:, None, None]


def np_resnet(t, cfg, x):
    """x (C, H, W) -> logits, torchvision BasicBlock semantics from the tensors alone."""
    relu = lambda a: np.maximum(a, 0)  # noqa: E731
    y = relu(np_bn(np_conv(x, t["conv1.weight"], 1, 1), t, "bn1"))
    for s, n in enumerate(cfg["blocks"]):
        for b in range(n):
            p = f"layer{s + 1}.{b}."
            stride = 2 if (s > 0 and b == 0) else 1
            idt = y
            if p + "downsample.0.weight" in t:
                idt = np_bn(np_conv(y, t[p + "downsample.0.weight"], stride, 0), t, p + "downsample.1")
            z = relu(np_bn(np_conv(y, t[p + "conv1.weight"], stride, 1), t, p + "bn1"))
            z = np_bn(np_conv(z, t[p + "conv2.weight"], 1, 1), t, p + "bn2")
            y = relu(z + idt)
    return t["fc.weight"] @ y.mean(axis=(1, 2)) + t["fc.bias"]


def np_resnet_onnx(t, cfg, x):
    """The ResNet's model.onnx: x = pixel / 255, normalised with the config's mean and std first."""
    return np_resnet(t, cfg, (x - cfg["input_mean"]) / cfg["input_std"])


def np_layernorm(x, g, b, eps):
    m = x.mean(-1, keepdims=True)
    v = ((x - m) ** 2).mean(-1, keepdims=True)
    return (x - m) / np.sqrt(v + eps) * g + b


def np_bert(t, cfg, ids):
    """ids (L,) -> logits, Hugging Face BertForSequenceClassification (no attention mask,
    token type 0, exact GELU) from the tensors alone."""
    erf = np.vectorize(math.erf)
    L, h, H = len(ids), cfg["hidden_size"], cfg["num_attention_heads"]
    d, eps = h // H, cfg["layer_norm_eps"]
    lin = lambda x, n: x @ t[n + ".weight"].T + t[n + ".bias"]  # noqa: E731
    e = "bert.embeddings."
    x = t[e + "word_embeddings.weight"][ids] + t[e + "position_embeddings.weight"][:L] \
        + t[e + "token_type_embeddings.weight"][0]
    x = np_layernorm(x, t[e + "LayerNorm.weight"], t[e + "LayerNorm.bias"], eps)
    for i in range(cfg["num_hidden_layers"]):
        p = f"bert.encoder.layer.{i}."
        q, k, v = (lin(x, p + "attention.self." + n).reshape(L, H, d).transpose(1, 0, 2)
                   for n in ("query", "key", "value"))
        s = q @ k.transpose(0, 2, 1) / math.sqrt(d)
        s = np.exp(s - s.max(-1, keepdims=True))
        s /= s.sum(-1, keepdims=True)
        c = (s @ v).transpose(1, 0, 2).reshape(L, h)
        x = np_layernorm(lin(c, p + "attention.output.dense") + x, t[p + "attention.output.LayerNorm.weight"],
                         t[p + "attention.output.LayerNorm.bias"], eps)
        a = lin(x, p + "intermediate.dense")
        a = 0.5 * a * (1 + erf(a / math.sqrt(2)))
        x = np_layernorm(lin(a, p + "output.dense") + x, t[p + "output.LayerNorm.weight"],
                         t[p + "output.LayerNorm.bias"], eps)
    pooled = np.tanh(lin(x[0], "bert.pooler.dense"))
    return lin(pooled, "classifier")


def load_tensors(folder):
    t, _ = export.load_safetensors(os.path.join(folder, "model.safetensors"))
    with open(os.path.join(folder, "config.json")) as f:
        cfg = json.load(f)
    return {k: v.astype(np.float64) for k, v in t.items()}, cfg

# ----------------------------------------------------------------------------- tests


class TestShippedModels(unittest.TestCase):
    """The zoo's reference logits (PyTorch) against the numpy oracles, and their sparsity."""

    def check_folder(self, name, forward, min_sparsity):
        folder = os.path.join(ZOO, name)
        if not os.path.isdir(folder):
            self.skipTest(f"{folder} not shipped")
        t, cfg = load_tensors(folder)
        x = np.load(os.path.join(folder, "reference_inputs.npy"))
        ref = np.load(os.path.join(folder, "reference_logits.npy"))
        self.assertEqual(ref.dtype, np.float32)
        self.assertEqual(len(ref), wl.N_REFERENCE)
        got = np.stack([forward(t, cfg, xi) for xi in x])
        np.testing.assert_allclose(got, ref, atol=1e-4, rtol=0)
        sp = cfg["training"]["sparsity"]
        self.assertGreaterEqual(sp["column_sparsity"], min_sparsity)
        # the sparsity recorded is the one the tensors hold: count zero weight rows here
        pruned = sum(int((~np.any(t[n + ".weight"].reshape(len(t[n + ".weight"]), -1) != 0, axis=1)).sum())
                     for n in sp["layers"])
        self.assertEqual(pruned, sp["pruned_outputs"])
        return t, cfg

    def test_resnet_pruned(self):
        t, cfg = self.check_folder("resnet-pruned", np_resnet_onnx, 0.30)
        # a pruned channel is exactly 0 after its batch norm: weight, bias, gamma and beta 0
        for conv, bn in wl.ResNet(cfg["widths"], cfg["blocks"]).conv_bn_pairs():
            dead = ~np.any(t[conv + ".weight"].reshape(len(t[conv + ".weight"]), -1) != 0, axis=1)
            self.assertTrue(np.all(t[bn + ".weight"][dead] == 0) and np.all(t[bn + ".bias"][dead] == 0), bn)

    def test_resnet_dense(self):
        self.check_folder("resnet-dense", np_resnet_onnx, 0.0)

    def test_resnet_reference_is_pixels_over_255(self):
        """The ResNet's model.onnx takes what rramft feeds an ONNX float input from idx image
        data, pixel / 255 (models/network.cpp), and normalises it in the graph; the reference
        inputs are those values of the test images, not normalised ones."""
        from models.train import data
        try:
            x_u, y = data.load("t10k")
        except OSError:
            self.skipTest("Fashion-MNIST not installed")
        idx = np.arange(wl.N_REFERENCE) * (len(x_u) // wl.N_REFERENCE)
        for name in ("resnet-dense", "resnet-pruned"):
            folder = os.path.join(ZOO, name)
            x = np.load(os.path.join(folder, "reference_inputs.npy"))
            np.testing.assert_array_equal(x, (x_u[idx].astype(np.float32) / np.float32(255))[:, None])
            np.testing.assert_array_equal(np.load(os.path.join(folder, "reference_labels.npy")), y[idx])

    def test_bert_pruned(self):
        self.check_folder("bert-pruned", np_bert, 0.30)

    def test_bert_dense(self):
        self.check_folder("bert-dense", np_bert, 0.0)

    def test_bert_reference_is_the_text_test_set(self):
        folder = os.path.join(ZOO, "bert-pruned")
        if not os.path.isdir(folder):
            self.skipTest("not shipped")
        ids = np.load(os.path.join(TEXT, "fortunes", "test_ids.npy"))
        labels = np.load(os.path.join(TEXT, "fortunes", "test_labels.npy"))
        idx = np.arange(wl.N_REFERENCE) * (len(ids) // wl.N_REFERENCE)
        np.testing.assert_array_equal(np.load(os.path.join(folder, "reference_inputs.npy")), ids[idx])
        np.testing.assert_array_equal(np.load(os.path.join(folder, "reference_labels.npy")), labels[idx])


class TestModules(unittest.TestCase):
    def test_tiny_models_match_numpy(self):
        torch.manual_seed(0)
        r = wl.ResNet((4, 6), (1, 2), image_size=12).eval()
        for m in r.modules():  # non-trivial batch norm statistics
            if isinstance(m, torch.nn.BatchNorm2d):
                m.running_mean.uniform_(-0.5, 0.5)
                m.running_var.uniform_(0.5, 2.0)
                m.weight.data.uniform_(0.5, 1.5)
                m.bias.data.uniform_(-0.2, 0.2)
        x = torch.randn(3, 1, 12, 12)
        t = {k: v.astype(np.float64) for k, v in wl.state_arrays(r).items()}
        with torch.no_grad():
            ref = r(x).numpy()
        got = np.stack([np_resnet(t, r.config(), xi) for xi in x.numpy().astype(np.float64)])
        np.testing.assert_allclose(got, ref, atol=1e-5)
        b = wl.BertClassifier(50, 16, 2, 2, 24, 10, 10, 3, dropout=0.0).eval()
        ids = torch.randint(0, 50, (3, 10))
        t = {k: v.astype(np.float64) for k, v in wl.state_arrays(b).items()}
        with torch.no_grad():
            ref = b(ids).numpy()
        got = np.stack([np_bert(t, b.config(), i) for i in ids.numpy()])
        np.testing.assert_allclose(got, ref, atol=1e-5)

    def test_batchnorm_pruning_is_exact(self):
        """A closed gate zeroes the channel after its batch norm in training and eval mode, and
        bake() + propagate() keep every output."""
        torch.manual_seed(1)
        r = wl.ResNet((4, 6), (1, 1), image_size=12)
        rp.attach(r, exclude=["fc"])
        wl.gate_batchnorms(r)
        with torch.no_grad():
            r.layer1[0].conv1.parametrizations.weight[0].out_gate[[1, 3]] = -1.0
            for m in r.modules():
                if isinstance(m, torch.nn.BatchNorm2d):
                    m.running_mean.uniform_(-0.5, 0.5)
        acts = {}
        r.layer1[0].bn1.register_forward_hook(lambda m, i, o: acts.__setitem__("bn1", o))
        x = torch.randn(5, 1, 12, 12)
        for mode in (True, False):
            r.train(mode)
            r(x)
            self.assertTrue(torch.all(acts["bn1"][:, [1, 3]] == 0), f"train={mode}")
        r.eval()
        rp.freeze(r)
        with torch.no_grad():
            before = r(x)
        wl.bake(r)
        t = wl.propagate(r, wl.state_arrays(r))
        self.assertTrue(np.all(t["layer1.0.conv2.weight"][:, [1, 3]] == 0))  # inputs that read zeros
        r.load_state_dict({k: torch.from_numpy(v) for k, v in t.items()}, strict=False)
        with torch.no_grad():
            after = r(x)
        torch.testing.assert_close(after, before, rtol=0, atol=1e-6)
        self.assertEqual(wl.sparsity_report(r, t)["layers"]["layer1.0.conv1"]["pruned_outputs"], 2)

    def test_write_and_load_folder(self):
        torch.manual_seed(2)
        b = wl.BertClassifier(40, 8, 1, 2, 12, 6, 6, 2, dropout=0.0).eval()
        with torch.no_grad():
            b.bert.encoder.layer[0].intermediate.dense.weight[2] = 0
            b.bert.encoder.layer[0].intermediate.dense.bias[2] = 0
        x = torch.randint(0, 40, (4, 6))
        with tempfile.TemporaryDirectory() as d:
            wl.write_folder(b, d, {"command": "test"}, x, torch.zeros(4, dtype=torch.int64))
            back, cfg = wl.load_folder(d)
            t, _ = export.load_safetensors(os.path.join(d, "model.safetensors"))
            self.assertTrue(np.all(t["bert.encoder.layer.0.output.dense.weight"][:, 2] == 0))
            self.assertEqual(cfg["training"]["sparsity"]["pruned_outputs"], 1)
            with torch.no_grad():
                np.testing.assert_array_equal(back(x).numpy(), np.load(os.path.join(d, "reference_logits.npy")))
            self.assertTrue(os.path.getsize(os.path.join(d, "model.onnx")) > 0)


class TestBertBase(unittest.TestCase):
    def test_small_generator_run(self):
        from models.train import make_bert_base
        with tempfile.TemporaryDirectory() as d:
            make_bert_base.main(["--out", d, "--layers", "1", "--hidden", "24", "--heads", "2",
                                 "--mlp-dim", "40", "--vocab", "1200", "--positions", "20",
                                 "--seq-len", "16", "--sequences", "3"])
            t, cfg = load_tensors(d)
            ids = np.load(os.path.join(d, "tokens.npy"))
            self.assertEqual(ids.shape, (3, 16))
            self.assertTrue(np.all(ids[:, 0] == 101))
            labels = np.load(os.path.join(d, "labels.npy"))
            got = np.stack([np_bert(t, cfg, i) for i in ids]).argmax(1)
            np.testing.assert_array_equal(got, labels)
            sp = cfg["training"]["sparsity"]["layers"]
            self.assertEqual(sp["bert.encoder.layer.0.intermediate.dense"]["pruned_outputs"], 12)  # ceil(.3*40)
            self.assertEqual(sp["classifier"]["pruned_outputs"], 0)


@unittest.skipUnless(os.path.isdir(FORTUNES), "Debian package fortunes not installed")
class TestFortunes(unittest.TestCase):
    def test_rerun_gives_identical_files(self):
        prep = _prep_module()
        shipped = os.path.join(TEXT, "fortunes")
        with tempfile.TemporaryDirectory() as d:
            with open(os.devnull, "w") as null:
                import contextlib
                with contextlib.redirect_stdout(null):
                    prep.main(["--out", d])
            for name in sorted(os.listdir(shipped)):
                with open(os.path.join(shipped, name), "rb") as f1, open(os.path.join(d, name), "rb") as f2:
                    self.assertEqual(f1.read(), f2.read(), name)

    def test_encoding(self):
        prep = _prep_module()
        shipped = os.path.join(TEXT, "fortunes")
        ids = np.load(os.path.join(shipped, "test_ids.npy"))
        labels = np.load(os.path.join(shipped, "test_labels.npy"))
        with open(os.path.join(shipped, "vocab.txt"), encoding="utf-8") as f:
            vocab = f.read().split("\n")[:-1]
        self.assertEqual(vocab[:3], ["[PAD]", "[UNK]", "[CLS]"])
        self.assertEqual(len(set(vocab)), len(vocab))
        self.assertEqual(ids.shape[1], prep.SEQ_LEN)
        self.assertTrue(np.all(ids[:, 0] == 2))
        self.assertTrue(np.all((labels >= 0) & (labels < len(prep.CATEGORIES))))
        # padding only at the end
        pad = ids == 0
        self.assertTrue(np.all(pad[:, 1:] >= pad[:, :-1]))
        # the first test fortune of 'computers' (index 4 of the file's deduplicated fortunes),
        # tokenized independently here: lower-case words and single punctuation marks
        fortunes = prep.read_category(os.path.join(FORTUNES, "computers"))
        text = fortunes[4].lower()
        toks, w = [], ""
        for ch in text:
            if ch.isascii() and (ch.isalpha() or ch.isdigit()):
                w += ch
                continue
            if w:
                toks.append(w)
                w = ""
            if not ch.isspace():
                toks.append(ch)
        if w:
            toks.append(w)
        index = {t: i for i, t in enumerate(vocab)}
        want = [2] + [index.get(t, 1) for t in toks][:prep.SEQ_LEN - 1]
        self.assertEqual(list(ids[0, :len(want)]), want)


if __name__ == "__main__":
    unittest.main()
