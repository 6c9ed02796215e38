"""Unit tests of models/train/rramft_prune.py (run: /usr/bin/python3 -m unittest discover -s models/train/tests)."""
import math
import os
import sys
import unittest

sys.path.insert(0, os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "..")))

import torch  # noqa: E402
import torch.nn as nn  # noqa: E402
import torch.nn.functional as F  # noqa: E402
from torch.nn.utils import parametrize  # noqa: E402

from models.train import nets  # noqa: E402
from models.train import rramft_prune as rp  # noqa: E402


def tiny_vit():
    return nets.ViT(image_size=28, patch_size=7, hidden_size=16, num_hidden_layers=2,
                    num_attention_heads=2, intermediate_size=24)


def random_gates(model, seed=0, p_closed=0.4):
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in rp.gate_parameters(model):
            u = torch.rand(p.shape, generator=g)
            p.copy_(torch.where(u < p_closed, -0.5 - u, 0.5 + u))


class StepSTETest(unittest.TestCase):
    def test_forward_is_exact_step(self):
        g = torch.tensor([-2.0, -1e-30, 0.0, 1e-30, 3.0, -0.0])
        m = rp.step_ste(g)
        self.assertEqual(m.tolist(), [0.0, 0.0, 0.0, 1.0, 1.0, 0.0])

    def test_backward_is_grad_times_softplus(self):
        torch.manual_seed(0)
        g = torch.randn(50, dtype=torch.float64, requires_grad=True)
        c = torch.randn(50, dtype=torch.float64)
        (rp.step_ste(g) * c).sum().backward()
        self.assertTrue(torch.equal(g.grad, c * F.softplus(g.detach())))

    def test_mask_values_are_zero_or_one(self):
        torch.manual_seed(1)
        gates = rp.Gates((40, 30), in_gates=True, init=0.0)
        with torch.no_grad():
            gates.out_gate.normal_()
            gates.in_gate.normal_()
        for m, g in ((gates.out_mask(), gates.out_gate), (gates.in_mask(), gates.in_gate)):
            self.assertTrue(bool(((m == 0) | (m == 1)).all()))
            self.assertTrue(torch.equal(m.bool(), g > 0))


class AttachTest(unittest.TestCase):
    def test_linear_gates_mask_rows_columns_and_bias(self):
        torch.manual_seed(2)
        lin = nn.Linear(6, 5)
        rp.attach(lin, in_gates=True)
        random_gates(lin, seed=3)
        mo, mi = rp.masks(lin)[("weight")]
        raw_w = lin.parametrizations.weight.original.detach()
        raw_b = lin.parametrizations.bias.original.detach()
        expect_w = raw_w * mo.float()[:, None] * mi.float()[None, :]
        self.assertTrue(torch.equal(lin.weight, expect_w))
        self.assertTrue(torch.equal(lin.bias, raw_b * mo.float()))
        y = lin(torch.randn(7, 6))
        self.assertTrue(bool((y[:, ~mo] == 0).all()))

    def test_gate_gradient_of_a_linear_layer(self):
        torch.manual_seed(4)
        lin = nn.Linear(8, 6).double()
        rp.attach(lin)
        random_gates(lin, seed=5)
        x = torch.randn(10, 8, dtype=torch.float64)
        t = torch.randn(10, 6, dtype=torch.float64)
        ((lin(x) - t) ** 2).sum().backward()
        g = lin.parametrizations.weight[0].out_gate
        # Manual: y = x (W*m)^T + b*m, dL/dm_i = sum_n dL/dy_ni (x_n . W_i + b_i).
        W = lin.parametrizations.weight.original.detach()
        b = lin.parametrizations.bias.original.detach()
        m = (g.detach() > 0).double()
        y = x @ (W * m[:, None]).T + b * m
        dy = 2 * (y - t)
        dm = (dy * (x @ W.T + b)).sum(0)
        self.assertTrue(torch.allclose(g.grad, dm * F.softplus(g.detach()), rtol=1e-12, atol=1e-12))

    def test_attach_finds_conv_linear_and_attention_in_proj(self):
        model = tiny_vit()
        names = rp.attach(model, exclude=["classifier"])
        self.assertIn("patch.weight", names)
        self.assertIn("blocks.0.self_attn.in_proj_weight", names)
        self.assertIn("blocks.1.self_attn.out_proj.weight", names)
        self.assertIn("blocks.1.linear2.weight", names)
        self.assertNotIn("classifier.weight", names)
        self.assertEqual(names["blocks.0.self_attn.in_proj_weight"].groups, 3)
        cs = rp.column_sparsity(model)
        self.assertEqual(cs["blocks.0.self_attn.in_proj_weight[v]"], (0, 16))
        # Two disjoint optimiser groups that together hold every parameter.
        gp, wp = rp.gate_parameters(model), rp.weight_parameters(model)
        self.assertEqual(len({id(p) for p in gp} & {id(p) for p in wp}), 0)
        self.assertEqual(len(gp) + len(wp), len(list(model.parameters())))
        # A forward/backward pass reaches every gate.
        model(torch.randn(2, 1, 28, 28)).sum().backward()
        self.assertTrue(all(p.grad is not None for p in gp))

    def test_sparsity_loss_layer_normalisation(self):
        model = nets.MLP([12, 8, 6, 3])
        rp.attach(model, exclude=["fc3"])
        with torch.no_grad():
            model.fc1.parametrizations.weight[0].out_gate[:2] = -1.0  # 6/8 kept
            model.fc2.parametrizations.weight[0].out_gate[:3] = -1.0  # 3/6 kept
        loss = rp.sparsity_loss(model)
        self.assertAlmostEqual(float(loss), (6 / 8 + 3 / 6) / 2, places=6)
        self.assertAlmostEqual(float(rp.sparsity_loss(model, "none")), 9.0, places=6)
        self.assertAlmostEqual(float(rp.sparsity_loss(model, "size")), 9 / 14, places=6)
        loss.backward()
        g1 = model.fc1.parametrizations.weight[0].out_gate
        self.assertTrue(torch.allclose(g1.grad, F.softplus(g1.detach()) / (2 * 8)))

    def test_enforce_min_sparsity_closes_smallest_gates_per_group(self):
        model = tiny_vit()
        rp.attach(model, exclude=["classifier"])
        with torch.no_grad():
            for p in rp.gate_parameters(model):
                p.copy_(torch.linspace(2.0, 0.1, p.numel()))
        changed = rp.enforce_min_sparsity(model, 0.3)
        cs = rp.column_sparsity(model)
        for name, (pruned, n) in cs.items():
            self.assertEqual(pruned, math.ceil(0.3 * n), name)
        self.assertEqual(changed["blocks.0.self_attn.in_proj_weight[k]"], math.ceil(0.3 * 16))
        # The closed ones are the smallest: the last of each group (gates decrease).
        out = model.blocks[0].self_attn.parametrizations.in_proj_weight[0].out_gate
        v = out.detach()[32:48]
        self.assertTrue(bool((v[-5:] <= 0).all()) and bool((v[:-5] > 0).all()))

    def test_budget_caps_closed_gates_and_keeps_the_largest_open(self):
        model = nets.MLP([12, 10, 8, 3])
        rp.attach(model, exclude=["fc3"])
        rp.set_budget(model, {"*": 0.35, "fc2": 0.5})  # floor: fc1 3 of 10, fc2 4 of 8
        g1 = model.fc1.parametrizations.weight[0].out_gate
        g2 = model.fc2.parametrizations.weight[0].out_gate
        with torch.no_grad():  # every gate closed, distinct values
            g1.copy_(-torch.tensor([0.5, 0.1, 0.9, 0.3, 0.7, 0.2, 0.8, 0.4, 0.6, 0.05]))
            g2.copy_(-torch.arange(1.0, 9.0) / 10)
        m1 = model.fc1.parametrizations.weight[0].out_mask().detach()
        # the 7 largest of fc1 stay open: all but -0.9, -0.8, -0.7
        self.assertEqual(m1.tolist(), [1, 1, 0, 1, 0, 1, 0, 1, 1, 1])
        self.assertEqual(rp.column_sparsity(model), {"fc1.weight": (3, 10), "fc2.weight": (4, 8)})
        # the straight-through gradient is unchanged: dL/dg = dL/dM * softplus(g)
        x = torch.randn(5, 12)
        model(x).sum().backward()
        c = torch.randn(10)
        g1.grad = None
        (model.fc1.parametrizations.weight[0].out_mask() * c).sum().backward()
        self.assertTrue(torch.allclose(g1.grad, c * F.softplus(g1.detach())))
        # the hinge ends at the budget: a layer at its budget feels no sparsity push
        g1.grad = None
        rp.sparsity_loss(model, target={"*": 0.35, "fc2": 0.5}).backward()
        self.assertTrue(bool((g1.grad == 0).all()))
        # freeze keeps the budget's mask; enforce_min_sparsity above the budget raises it
        rp.enforce_min_sparsity(model, 0.4)  # fc1 needs 4: the smallest gate held open (-0.6) closes
        rp.freeze(model)
        self.assertEqual(rp.column_sparsity(model), {"fc1.weight": (4, 10), "fc2.weight": (4, 8)})
        self.assertEqual(rp.masks(model)["fc1.weight"][0].tolist(),
                         [True, True, False, True, False, True, False, True, False, True])

    def test_budget_stops_the_overshoot(self):
        """Gates that start equal and fall together under the sparsity term: without a budget
        the layer ends far beyond its target, with one exactly at it."""
        def run(budget):
            torch.manual_seed(3)
            model = nn.Sequential(nn.Linear(6, 32), nn.ReLU(), nn.Linear(32, 1))
            rp.attach(model, include=lambda n, m: n == "0")
            if budget:
                rp.set_budget(model, 0.25)
            opt_w = torch.optim.Adam(rp.weight_parameters(model), lr=1e-3)
            opt_g = torch.optim.Adam(rp.gate_parameters(model), lr=0.05)
            for _ in range(120):
                x = torch.randn(32, 6)
                loss = F.mse_loss(model(x), x[:, :1]) + 1.0 * rp.sparsity_loss(model, target=0.25)
                opt_w.zero_grad()
                opt_g.zero_grad()
                loss.backward()
                opt_w.step()
                opt_g.step()
            return rp.column_sparsity(model)["0.weight"][0]
        self.assertGreater(run(False), 12)  # more than the 8 of 32 the target asks
        self.assertEqual(run(True), 8)

    def test_frozen_fine_tuning_keeps_pruned_weights_exactly_zero(self):
        torch.manual_seed(6)
        model = nets.LeNet5()
        rp.attach(model, exclude=["fc3"], in_gates=True)
        random_gates(model, seed=7)
        rp.freeze(model)
        gates_before = [p.detach().clone() for p in rp.gate_parameters(model)]
        ms = rp.masks(model)
        opt = torch.optim.AdamW(rp.weight_parameters(model), lr=1e-2, weight_decay=0.1)
        x, y = torch.randn(16, 1, 28, 28), torch.randint(0, 10, (16,))
        w0 = model.fc1.weight.detach().clone()
        for _ in range(3):
            opt.zero_grad()
            F.cross_entropy(model(x), y).backward()
            opt.step()
        self.assertFalse(torch.equal(w0, model.fc1.weight.detach()))  # it did train
        for name, mod, wattr, battr, g in rp.gated_modules(model):
            mo, mi = ms[name]
            raw = getattr(mod.parametrizations, wattr).original
            eff = getattr(mod, wattr)
            for t in (raw, eff):
                self.assertTrue(bool((t[~mo] == 0).all()), name)
                self.assertTrue(bool((t[:, ~mi] == 0).all()), name)
            self.assertTrue(bool((getattr(mod, battr)[~mo] == 0).all()))
        for a, b in zip(gates_before, rp.gate_parameters(model)):
            self.assertTrue(torch.equal(a, b))

    def test_bake_removes_parametrizations_and_keeps_outputs(self):
        torch.manual_seed(8)
        model = tiny_vit().eval()
        rp.attach(model, exclude=["classifier"])
        random_gates(model, seed=9)
        x = torch.randn(3, 1, 28, 28)
        with torch.no_grad():
            before = model(x)
        ms = rp.bake(model)
        self.assertFalse(any(parametrize.is_parametrized(m) for m in model.modules()))
        with torch.no_grad():
            after = model(x)
        self.assertTrue(torch.allclose(before, after, atol=1e-6))
        w = model.blocks[0].self_attn.in_proj_weight
        mo = ms["blocks.0.self_attn.in_proj_weight"][0]
        self.assertTrue(bool((w[~mo] == 0).all()))
        self.assertFalse(bool(torch.signbit(w[~mo]).any()))  # +0.0, not -0.0

    def test_gates_learn_to_drop_useless_outputs(self):
        # Outputs 0..3 of the first layer carry the target, 4..7 almost nothing. Under the
        # sparsity loss the useless gates close for good; a useful gate may touch 0 (at the
        # optimum its STE gradient is ~0 and the penalty pushes it down) but the task
        # gradient at M = 0 reopens it at once, so it stays open most of the time.
        torch.manual_seed(10)
        model = nn.Sequential(nn.Linear(4, 8), nn.Linear(8, 1))
        with torch.no_grad():
            model[0].weight.copy_(torch.cat([torch.eye(4), 0.01 * torch.randn(4, 4)]))
            model[0].bias.zero_()
            model[1].weight.copy_(torch.cat([torch.ones(4), 0.01 * torch.ones(4)])[None])
            model[1].bias.zero_()
        rp.attach(model, include=lambda n, m: n == "0")
        opt_w = torch.optim.SGD(rp.weight_parameters(model), lr=0.0)
        opt_g = torch.optim.Adam(rp.gate_parameters(model), lr=0.05)
        open_count = torch.zeros(8)
        for it in range(300):
            x = torch.randn(64, 4)
            loss = F.mse_loss(model(x), x.sum(1, keepdim=True)) + 0.5 * rp.sparsity_loss(model)
            opt_w.zero_grad()
            opt_g.zero_grad()
            loss.backward()
            opt_w.step()
            opt_g.step()
            if it >= 200:
                open_count += rp.masks(model)["0.weight"][0].float()
        self.assertTrue(bool((open_count[:4] >= 60).all()), open_count.tolist())
        self.assertTrue(bool((open_count[4:] == 0).all()), open_count.tolist())

if __name__ == "__main__":
    unittest.main()
