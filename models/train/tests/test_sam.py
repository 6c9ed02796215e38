"""Unit tests of models/train/rramft_sam.py (run: /usr/bin/python3 -m unittest discover -s models/train/tests)."""
import os
import sys
import unittest

sys.path.insert(0, os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "..")))

import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn as nn  # noqa: E402
import torch.nn.functional as F  # noqa: E402
from torch.nn.utils import parametrize  # noqa: E402

from models.train import export, nets  # noqa: E402
from models.train import rramft_prune as rp  # noqa: E402
from models.train import rramft_sam as rs  # noqa: E402


def tiny_vit():
    return nets.ViT(image_size=28, patch_size=7, hidden_size=16, num_hidden_layers=2,
                    num_attention_heads=2, intermediate_size=24)


def np_quant(w, bits):
    """docs/design.md written out element by element with Python floats (double), as an
    oracle independent of both rramft_sam.quantize and export.quantize_np."""
    mmax = 2 ** (bits - 1) - 1
    flat = [float(v) for v in np.asarray(w, dtype=np.float64).ravel()]
    mx = max(abs(v) for v in flat)
    s = mx / mmax if mx > 0 else 1.0
    out = []
    for v in flat:
        x = abs(v) / s
        m = int(x) + (1 if x - int(x) >= 0.5 else 0)  # round half away from zero
        out.append((1 if v > 0 else -1 if v < 0 else 0) * min(m, mmax) * s)
    return np.array(out).reshape(np.shape(w))


class QuantizeTest(unittest.TestCase):
    def test_matches_the_design_formula(self):
        torch.manual_seed(0)
        for bits in (2, 4, 8):
            w = torch.randn(7, 5) * 0.3
            got = rs.quantize(w, bits).numpy()
            self.assertTrue(np.array_equal(got, np_quant(w.numpy(), bits).astype(np.float32)), bits)
            levels = np.unique(np.round(np.abs(got) / (np.abs(w.numpy()).max() / (2 ** (bits - 1) - 1))))
            self.assertLessEqual(len(levels), 2 ** (bits - 1))

    def test_ties_round_away_from_zero(self):
        # 4 bits: mmax 7, max 7 -> scale 1; 2.5 -> 3, -0.5 -> -1, 1.49 -> 1
        w = torch.tensor([[7.0, 2.5, -0.5, 1.49, -3.5, 0.0]], dtype=torch.float64)
        self.assertEqual(rs.quantize(w, 4).tolist(), [[7.0, 3.0, -1.0, 1.0, -4.0, 0.0]])

    def test_groups_and_per_channel_have_their_own_scales(self):
        torch.manual_seed(1)
        w = torch.randn(12, 4)
        w[4:8] *= 10  # the k third: a much larger range
        q = rs.quantize(w, 4, groups=3).numpy()
        for j in range(3):
            self.assertTrue(np.allclose(q[4 * j:4 * j + 4], np_quant(w[4 * j:4 * j + 4].numpy(), 4), atol=1e-6))
        pc = rs.quantize(w, 4, per_channel=True).numpy()
        for r in range(12):
            self.assertTrue(np.allclose(pc[r], np_quant(w[r].numpy(), 4), atol=1e-6))

    def test_matches_the_export_check(self):
        torch.manual_seed(2)
        w = torch.randn(9, 6)
        q = rs.quantize(w, 5)
        m, s = export.quantize_np(q.numpy(), 5)
        self.assertTrue(np.allclose(m * s, q.numpy(), atol=1e-6))
        m2, _ = export.quantize_np(w.numpy(), 5)
        self.assertTrue(np.array_equal(np.round(q.numpy() / s), m2))

    def test_ste_backward_passes_the_gradient(self):
        torch.manual_seed(3)
        w = torch.randn(6, 4, dtype=torch.float64, requires_grad=True)
        c = torch.randn(6, 4, dtype=torch.float64)
        (rs.QuantSTE.apply(w, 4, 1, False) * c).sum().backward()
        self.assertTrue(torch.equal(w.grad, c))


class AttachTest(unittest.TestCase):
    def test_every_mapped_weight_is_quantized_in_proj_by_thirds(self):
        model = tiny_vit()
        names = rs.attach(model, 4)
        for n in ("patch.weight", "blocks.0.self_attn.in_proj_weight", "blocks.1.self_attn.out_proj.weight",
                  "blocks.1.linear1.weight", "classifier.weight"):
            self.assertIn(n, names)
        self.assertEqual(names["blocks.0.self_attn.in_proj_weight"].groups, 3)
        mha = model.blocks[0].self_attn
        raw = mha.parametrizations.in_proj_weight.original.detach()
        self.assertTrue(torch.equal(mha.in_proj_weight, rs.quantize(raw, 4, groups=3)))
        # The exported tensors sit on the 4-bit grid, q, k, v each on its own scale.
        cfg = model.config()
        t = export.propagate(cfg, export.to_hf(model))
        self.assertLess(export.quant_grid_error(cfg, t, 4), 1e-5)
        self.assertGreater(export.quant_grid_error(cfg, export.to_hf(tiny_vit()), 4), 0.1)

    def test_composes_with_pruning_gates_and_bakes(self):
        torch.manual_seed(4)
        model = nets.LeNet5()
        rp.attach(model, exclude=["fc3"])
        with torch.no_grad():
            for p in rp.gate_parameters(model):
                p[: p.numel() // 3] = -1.0
        rs.attach(model, 4)
        mo = rp.masks(model)["fc1.weight"][0]
        raw = model.fc1.parametrizations.weight.original.detach()
        self.assertTrue(torch.equal(model.fc1.weight, rs.quantize(raw * mo.float()[:, None], 4)))
        x = torch.randn(3, 1, 28, 28)
        with torch.no_grad():
            before = model(x)
        rp.bake(model)  # gated layers (quantizer included)
        self.assertTrue(parametrize.is_parametrized(model.fc3))  # not gated: quantizer left
        rs.bake(model)
        self.assertFalse(any(parametrize.is_parametrized(m) for m in model.modules()))
        with torch.no_grad():
            self.assertTrue(torch.allclose(model(x), before, atol=1e-6))
        self.assertTrue(bool((model.fc1.weight[~mo] == 0).all()))

    def test_bake_without_gates(self):
        model = nets.MLP([6, 5, 3])
        rs.attach(model, 3)
        w = model.fc1.weight.detach().clone()
        rs.bake(model)
        self.assertFalse(parametrize.is_parametrized(model.fc1))
        self.assertTrue(torch.equal(model.fc1.weight, w))

    def test_attach_existing_keeps_exported_zeros(self):
        torch.manual_seed(5)
        model = nets.MLP([10, 8, 6, 3])
        with torch.no_grad():
            model.fc1.weight[[1, 4]] = 0.0
            model.fc1.bias[[1, 4]] = 0.0
            model.fc2.weight[2] = 0.0  # bias left non-zero: a constant output, not pruned
        kept = rp.attach_existing(model)
        self.assertEqual(kept, {"fc1.weight": 2})
        opt = torch.optim.AdamW(rp.weight_parameters(model), lr=0.1, weight_decay=0.1)
        for _ in range(3):
            opt.zero_grad()
            model(torch.randn(8, 10)).pow(2).sum().backward()
            opt.step()
        self.assertTrue(bool((model.fc1.weight[[1, 4]] == 0).all()))
        self.assertTrue(bool((model.fc1.bias[[1, 4]] == 0).all()))
        self.assertTrue(bool((model.fc2.weight[2] != 0).any()))  # not gated: it trained


def regression_setup(seed, bits=4):
    """A quantized Linear with a hand-checkable loss L = 0.5 * mean ||x W^T + b - t||^2."""
    torch.manual_seed(seed)
    lin = nn.Linear(5, 4).double()
    x = torch.randn(16, 5, dtype=torch.float64)
    t = torch.randn(16, 4, dtype=torch.float64)
    rs.attach(lin, bits)
    return lin, x, t


def loss_fn(lin, x, t):
    return 0.5 * ((lin(x) - t) ** 2).sum(1).mean()


def np_grads(W, b, x, t):
    r = x @ W.T + b - t  # n x out
    return r.T @ x / len(x), r.mean(0)


class SAMTest(unittest.TestCase):
    def test_perturbation_has_norm_rho_and_lands_on_the_quantized_weights(self):
        lin, x, t = regression_setup(6)
        raw = lin.parametrizations.weight.original
        opt = rs.SAM(torch.optim.SGD(lin.parameters(), lr=0.1), rho=0.3, model=lin)
        loss_fn(lin, x, t).backward()
        g_w, g_b = raw.grad.clone(), lin.bias.grad.clone()
        q0, b0 = lin.weight.detach().clone(), lin.bias.detach().clone()
        opt.first_step()
        e_w, e_b = lin.weight.detach() - q0, lin.bias.detach() - b0
        self.assertAlmostEqual(float(torch.sqrt((e_w ** 2).sum() + (e_b ** 2).sum())), 0.3, places=9)
        norm = torch.sqrt((g_w ** 2).sum() + (g_b ** 2).sum())
        self.assertTrue(torch.allclose(e_w, 0.3 * g_w / norm, atol=1e-12))
        self.assertTrue(torch.allclose(e_b, 0.3 * g_b / norm, atol=1e-12))
        # The raw weight is untouched: the perturbation sits after the quantizer.
        self.assertTrue(torch.equal(lin.weight.detach(), rs.quantize(raw.detach(), 4) + e_w))
        self.assertIsNone(raw.grad)

    def test_sgd_step_against_a_hand_derivation(self):
        lin, x, t = regression_setup(7)
        raw = lin.parametrizations.weight.original
        W0, b0 = raw.detach().clone(), lin.bias.detach().clone()
        lr, rho = 0.05, 0.2
        opt = rs.SAM(torch.optim.SGD(lin.parameters(), lr=lr), rho=rho, model=lin)
        opt.step(lambda: loss_fn(lin, x, t).backward())
        # numpy: g at Q(W); e = rho g / ||g||; gradient at (Q(W) + e_w, b + e_b); SGD on raw W.
        Q = np_quant(W0.numpy(), 4)
        X, T, B = x.numpy(), t.numpy(), b0.numpy()
        gw, gb = np_grads(Q, B, X, T)
        n = np.sqrt((gw ** 2).sum() + (gb ** 2).sum())
        gw2, gb2 = np_grads(Q + rho * gw / n, B + rho * gb / n, X, T)
        self.assertTrue(np.allclose(raw.detach().numpy(), W0.numpy() - lr * gw2, atol=1e-12))
        self.assertTrue(np.allclose(lin.bias.detach().numpy(), B - lr * gb2, atol=1e-12))

    def test_rho_zero_is_the_base_optimizer_bit_for_bit(self):
        for make in (lambda ps: torch.optim.SGD(ps, lr=0.05, momentum=0.9),
                     lambda ps: torch.optim.AdamW(ps, lr=1e-2, weight_decay=0.1)):
            torch.manual_seed(8)
            a = nets.LeNet5()
            b = nets.LeNet5()
            b.load_state_dict(a.state_dict())
            rs.attach(a, 4)
            rs.attach(b, 4)
            opt_a = make(a.parameters())
            opt_b = rs.SAM(make(b.parameters()), rho=0.0, model=b)
            for step in range(3):
                x, y = torch.randn(8, 1, 28, 28), torch.randint(0, 10, (8,))
                opt_a.zero_grad()
                F.cross_entropy(a(x), y).backward()
                opt_a.step()
                opt_b.step(lambda: F.cross_entropy(b(x), y).backward())
            for (n, pa), pb in zip(a.named_parameters(), b.parameters()):
                self.assertTrue(torch.equal(pa, pb), n)

    def test_plain_parameters_are_perturbed_and_restored_exactly(self):
        torch.manual_seed(9)
        model = nets.MLP([6, 5, 3])  # no quantizers: classic SAM on the float weights
        opt = rs.SAM(torch.optim.SGD(model.parameters(), lr=0.0), rho=0.5, model=model)
        before = [p.detach().clone() for p in model.parameters()]
        x = torch.randn(4, 6)
        model(x).pow(2).sum().backward()
        opt.first_step()
        moved = torch.sqrt(sum(((p - q) ** 2).sum() for p, q in zip(model.parameters(), before)))
        self.assertAlmostEqual(float(moved), 0.5, places=5)
        model(x).pow(2).sum().backward()
        opt.second_step()  # lr 0: back exactly where it was
        for p, q in zip(model.parameters(), before):
            self.assertTrue(torch.equal(p, q))
        with self.assertRaises(RuntimeError):
            opt.first_step()  # no gradient

    def test_pruned_weights_stay_exactly_zero_in_both_passes(self):
        torch.manual_seed(10)
        model = tiny_vit()
        rp.attach(model, exclude=["classifier"])
        with torch.no_grad():
            g = torch.Generator().manual_seed(11)
            for p in rp.gate_parameters(model):
                p.copy_(torch.where(torch.rand(p.shape, generator=g) < 0.4, -1.0, 1.0))
        rp.freeze(model)
        rs.attach(model, 4)
        ms = rp.masks(model)
        opt = rs.SAM(torch.optim.AdamW(rp.weight_parameters(model), lr=1e-2, weight_decay=0.1),
                     rho=0.5, model=model)
        x, y = torch.randn(4, 1, 28, 28), torch.randint(0, 10, (4,))

        def check():
            for name, mod, wattr, battr, _ in rp.gated_modules(model):
                mo = ms[name][0]
                self.assertTrue(bool((getattr(mod, wattr)[~mo] == 0).all()), name)
                self.assertTrue(bool((getattr(mod, battr)[~mo] == 0).all()), name)
                raw = getattr(mod.parametrizations, wattr).original
                self.assertTrue(bool((raw[~mo] == 0).all()), name)

        w0 = model.blocks[0].linear1.weight.detach().clone()
        for _ in range(2):
            F.cross_entropy(model(x), y).backward()
            opt.first_step()
            check()  # the adversarial point keeps the zeros
            self.assertGreater(len(opt.perturbation), 0)
            F.cross_entropy(model(x), y).backward()
            opt.second_step()
            check()
        self.assertFalse(torch.equal(w0, model.blocks[0].linear1.weight.detach()))


class ActivationTest(unittest.TestCase):
    def test_l1_and_sparsity_of_lenet_layer_inputs(self):
        torch.manual_seed(13)
        model = nets.LeNet5().eval()
        mon = rs.ActivationMonitor(model)
        self.assertEqual(mon.layers, ["conv2", "fc1", "fc2", "fc3"])
        x = torch.randn(5, 1, 28, 28)
        model(x)
        with torch.no_grad():
            a1 = F.max_pool2d(F.relu(model.conv1(x)), 2)
            a2 = F.max_pool2d(F.relu(model.conv2(a1)), 2).flatten(1)
            a3 = F.relu(model.fc1(a2))
            a4 = F.relu(model.fc2(a3))
        want = sum(float(a.abs().mean()) for a in (a1, a2, a3, a4))
        self.assertAlmostEqual(float(mon.l1()), want, places=5)
        mon.remove()
        sp = rs.activation_sparsity(model, x, batch=2)
        for name, a in zip(["conv2", "fc1", "fc2", "fc3"], (a1, a2, a3, a4)):
            self.assertAlmostEqual(sp[name], float((a == 0).double().mean()), places=12)
        total = sum(int((a == 0).sum()) for a in (a1, a2, a3, a4))
        self.assertAlmostEqual(sp["mean"], total / sum(a.numel() for a in (a1, a2, a3, a4)), places=9)

    def test_the_penalty_makes_activations_sparser(self):
        torch.manual_seed(14)
        x = torch.randn(256, 20)
        y = (x[:, 0] > 0).long()
        sp = {}
        for lam in (0.0, 0.5):
            torch.manual_seed(15)
            model = nets.MLP([20, 32, 2])
            mon = rs.ActivationMonitor(model)
            opt = torch.optim.Adam(model.parameters(), lr=1e-2)
            for _ in range(150):
                mon.clear()
                loss = F.cross_entropy(model(x), y) + lam * mon.l1()
                opt.zero_grad()
                loss.backward()
                opt.step()
            mon.remove()
            sp[lam] = rs.activation_sparsity(model, x)["fc2"]
        self.assertGreater(sp[0.5], sp[0.0] + 0.2, sp)


if __name__ == "__main__":
    unittest.main()
