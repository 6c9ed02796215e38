"""Differentiable structured pruning, Stage 1 of arXiv 2401.11664 (docs/design.md), for any
PyTorch model. Self-contained (torch only): copy this file into another project and use it.

Every prunable weight W (out x in [x kh x kw]) gets a learnable gate per OUTPUT (a PyTorch
weight row: this is what frees crossbar columns) and optionally one per INPUT. The mask is
M = step(g) (1 where g > 0); its backward pass is the straight-through estimator
dL/dg = dL/dM * softplus(g). The effective weight is W * M_out[:, None] * M_in[None, :] and
the bias is b * M_out, so a pruned output is exactly zero. The loss is
task_loss + mu * sparsity_loss(model), with one optimizer for the weights and one for the
gates; then freeze() fixes the masks and fine-tuning keeps pruned weights exactly zero.

    import rramft_prune as rp
    rp.attach(model, exclude=["classifier"])    # Linear, Conv1/2/3d, MultiheadAttention.in_proj
    opt_w = torch.optim.AdamW(rp.weight_parameters(model), lr=1e-3)
    opt_g = torch.optim.Adam(rp.gate_parameters(model), lr=1e-2)
    for x, y in data:
        loss = F.cross_entropy(model(x), y) + mu * rp.sparsity_loss(model)
        opt_w.zero_grad(); opt_g.zero_grad(); loss.backward(); opt_w.step(); opt_g.step()
    rp.set_budget(model, 0.35)                  # optional: no gated layer ever has > 35% pruned
    rp.enforce_min_sparsity(model, 0.25)        # optional: every gated layer >= 25% outputs pruned
    rp.freeze(model)                            # masks fixed, pruned raw weights set to +0.0
    ... fine-tune with an optimizer over rp.weight_parameters(model) ...
    rp.bake(model)                              # plain nn.Parameters again, exact zeros kept

The gates are implemented with torch.nn.utils.parametrize, so module.weight stays a normal
attribute that every forward (including nn.MultiheadAttention's in_proj_weight) reads.
"""
import math

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.nn.utils import parametrize

__all__ = ["StepSTE", "step_ste", "Gates", "attach", "attach_existing", "gated_modules", "gate_parameters",
           "weight_parameters", "sparsity_loss", "set_budget", "enforce_min_sparsity", "freeze", "bake",
           "masks", "column_sparsity"]


class StepSTE(torch.autograd.Function):
    """M = step(g) = 1[g > 0] forward; dL/dg = dL/dM * softplus(g) backward."""

    @staticmethod
    def forward(ctx, g):
        ctx.save_for_backward(g)
        return (g > 0).to(g.dtype)

    @staticmethod
    def backward(ctx, grad):
        (g,) = ctx.saved_tensors
        return grad * F.softplus(g)


def step_ste(g):
    return StepSTE.apply(g)


class _MaskSTE(torch.autograd.Function):
    """M = @p hard (a 0/1 mask computed from g) forward; dL/dg = dL/dM * softplus(g) backward,
    the gradient of StepSTE."""

    @staticmethod
    def forward(ctx, g, hard):
        ctx.save_for_backward(g)
        return hard

    @staticmethod
    def backward(ctx, grad):
        (g,) = ctx.saved_tensors
        return grad * F.softplus(g), None


class Gates(nn.Module):
    """Weight parametrization W -> W * M_out (rows) * M_in (columns / input channels).

    Before freeze(): masks come from the learnable gates through the STE. After freeze():
    from fixed 0/1 buffers, and the gates no longer receive gradients."""

    def __init__(self, shape, out_gates=True, in_gates=False, init=1.0, groups=1, dtype=None, device=None):
        super().__init__()
        if len(shape) < 2:
            raise ValueError(f"rramft_prune: a gated weight needs >= 2 dims, got shape {tuple(shape)}")
        if shape[0] % groups:
            raise ValueError(f"rramft_prune: {groups} groups do not divide {shape[0]} outputs")
        # groups > 1: the rows are that many separate layers stacked (MultiheadAttention's
        # in_proj_weight holds query, key and value); each group counts as one layer in
        # sparsity_loss, enforce_min_sparsity and column_sparsity.
        self.groups = int(groups)
        kw = {"dtype": dtype, "device": device}
        self.n_out, self.n_in, self.ndim = int(shape[0]), int(shape[1]), len(shape)
        self.out_gate = nn.Parameter(torch.full((self.n_out,), float(init), **kw)) if out_gates else None
        self.in_gate = nn.Parameter(torch.full((self.n_in,), float(init), **kw)) if in_gates else None
        self.frozen = False
        self.max_closed = None  # set_budget(): per output group, the most outputs that may be closed
        self.register_buffer("out_fixed", None)
        self.register_buffer("in_fixed", None)

    def out_mask(self):
        """1-D mask over outputs (rows), or None when this weight has no output gates."""
        if self.out_gate is None:
            return None
        if self.frozen:
            return self.out_fixed
        if self.max_closed is None:
            return step_ste(self.out_gate)
        return _MaskSTE.apply(self.out_gate, self._budget_mask())

    @torch.no_grad()
    def _budget_mask(self):
        """step(g), except that in an output group with more than max_closed gates <= 0 the
        (outputs - max_closed) largest gates are open (ties: lower index first)."""
        parts = []
        for v, cap in zip(self.out_gate.detach().chunk(self.groups), self.max_closed):
            m = v > 0
            if int((~m).sum()) > cap:
                order = torch.sort(-v, stable=True).indices
                m = torch.zeros_like(m)
                m[order[: v.numel() - cap]] = True
            parts.append(m.to(v.dtype))
        return torch.cat(parts)

    def in_mask(self):
        if self.in_gate is None:
            return None
        return self.in_fixed if self.frozen else step_ste(self.in_gate)

    def forward(self, w):
        mo, mi = self.out_mask(), self.in_mask()
        if mo is not None:
            w = w * mo.view(-1, *([1] * (w.dim() - 1)))
        if mi is not None:
            w = w * mi.view(1, -1, *([1] * (w.dim() - 2)))
        return w

    def extra_repr(self):
        return (f"n_out={self.n_out}, n_in={self.n_in}, groups={self.groups}, "
                f"in_gates={self.in_gate is not None}, frozen={self.frozen}")


class _BiasMask(nn.Module):
    """b -> b * M_out, sharing the weight's Gates (held unregistered so it is counted once)."""

    def __init__(self, gates):
        super().__init__()
        object.__setattr__(self, "_gates", gates)

    def forward(self, b):
        m = self._gates.out_mask()
        return b if m is None else b * m


# (weight attribute, bias attribute, output groups) triples that attach() knows.
def _targets(module):
    if isinstance(module, (nn.Linear, nn.Conv1d, nn.Conv2d, nn.Conv3d)):
        return [("weight", "bias", 1)]
    if isinstance(module, nn.MultiheadAttention):
        if not module._qkv_same_embed_dim:
            raise ValueError("rramft_prune: MultiheadAttention with kdim/vdim != embed_dim is not supported")
        return [("in_proj_weight", "in_proj_bias", 3)]
    return []


def _group_names(name, g):
    if g.groups == 1:
        return [name]
    labels = ["q", "k", "v"] if g.groups == 3 else [str(i) for i in range(g.groups)]
    return [f"{name}[{lab}]" for lab in labels]


def _name(prefix, attr):
    return f"{prefix}.{attr}" if prefix else attr


def attach(model, include=None, exclude=(), out_gates=True, in_gates=False, init=1.0):
    """Adds gates to every nn.Linear / nn.Conv1d/2d/3d weight and every nn.MultiheadAttention
    in_proj_weight of @p model (its out_proj is an nn.Linear and is found as one).

    include: optional callable(name, module) -> bool choosing modules; exclude: module names
    (as in model.named_modules()) to skip, e.g. ["classifier"] so class outputs stay.
    in_gates: also gate inputs (weight columns / input channels). init: initial gate value.
    Returns {"<module>.<attr>": Gates}."""
    if not out_gates and not in_gates:
        raise ValueError("rramft_prune.attach: at least one of out_gates / in_gates is needed")
    exclude = set(exclude)
    found = {}
    for name, mod in list(model.named_modules()):
        if name in exclude or parametrize.is_parametrized(mod):
            continue
        targets = _targets(mod)
        if not targets or (include is not None and not include(name, mod)):
            continue
        for wattr, battr, groups in targets:
            w = getattr(mod, wattr)
            g = Gates(w.shape, out_gates, in_gates, init, groups, dtype=w.dtype, device=w.device)
            parametrize.register_parametrization(mod, wattr, g)
            if getattr(mod, battr, None) is not None:
                parametrize.register_parametrization(mod, battr, _BiasMask(g))
            found[_name(name, wattr)] = g
    if not found:
        raise ValueError("rramft_prune.attach: no prunable layer found")
    return found


@torch.no_grad()
def attach_existing(model, exclude=()):
    """Keeps the pruning already in a model (e.g. one loaded from an export): every layer
    attach() knows that has outputs whose weight row and bias are exactly zero gets frozen
    output gates closed on those outputs (and open elsewhere), so further training keeps
    them exactly zero. Returns {name as in column_sparsity: pruned outputs}."""
    def zero_rows(mod):
        res = []
        for wattr, battr, groups in _targets(mod):
            w = getattr(mod, wattr)
            dead = ~(w.reshape(w.shape[0], -1) != 0).any(dim=1)
            b = getattr(mod, battr, None)
            if b is not None:
                dead &= b == 0
            res.append(dead)
        return res

    def include(name, mod):
        return any(bool(d.any()) for d in zero_rows(mod))

    dead = {name: zero_rows(mod) for name, mod in model.named_modules() if _targets(mod)}
    if not any(include(n, m) for n, m in model.named_modules() if _targets(m) and n not in exclude):
        return {}
    attach(model, include=include, exclude=exclude)
    for name, mod, wattr, _, g in gated_modules(model):
        prefix = name[:-len("." + wattr)] if name.endswith("." + wattr) else ""
        d = dead[prefix][[t[0] for t in _targets(mod)].index(wattr)]
        g.out_gate.copy_(torch.where(d, -torch.ones_like(g.out_gate), torch.ones_like(g.out_gate)))
    freeze(model)
    return {k: v[0] for k, v in column_sparsity(model).items() if v[0]}


def gated_modules(model):
    """[(qualified weight name, owning module, weight attribute, bias attribute or None, Gates)]."""
    out = []
    for name, mod in model.named_modules():
        if not parametrize.is_parametrized(mod):
            continue
        for wattr, battr, _ in _targets(mod):
            if not parametrize.is_parametrized(mod, wattr):
                continue
            g = getattr(mod.parametrizations, wattr)[0]
            if isinstance(g, Gates):
                b = battr if parametrize.is_parametrized(mod, battr) else None
                out.append((_name(name, wattr), mod, wattr, b, g))
    return out


def gate_parameters(model):
    ps = []
    for *_, g in gated_modules(model):
        ps += [p for p in (g.out_gate, g.in_gate) if p is not None]
    return ps


def weight_parameters(model):
    """Every parameter except the gates (the weights' optimizer)."""
    gates = {id(p) for p in gate_parameters(model)}
    return [p for p in model.parameters() if id(p) not in gates]


def _target_of(target, name):
    """target: None, a fraction, or {layer name: fraction} with an optional "*" default;
    a layer name may be given with or without its ".weight" suffix."""
    if target is None or isinstance(target, (int, float)):
        return target
    for key in (name, name[:-len(".weight")] if name.endswith(".weight") else None):
        if key is not None and key in target:
            return target[key]
    return target.get("*")


def sparsity_loss(model, normalize="layer", target=None):
    """sum |M| over all gates, normalised.

    target (optional: a fraction in [0, 1), or {layer name: fraction} with "*" for the
    rest, names as in column_sparsity): a per-layer budget. Each layer's term becomes
    max(0, sum|M_l| - (1 - target) * n_l): the same gradient as sum |M_l| while the layer
    keeps more than (1 - target) of its outputs, none once it has reached the target, so
    every layer settles near the target instead of the whole model drifting towards 0.

    normalize="layer" (default): the mean over gated layers of each one's kept fraction
      (out and in masks each count as one term, each output group of a stacked weight such
      as in_proj's q, k, v too), in [0, 1]; every layer weighs the same whatever its size,
      and mu reads as "loss the whole model may pay to drop everything".
    normalize="size": sum |M| / number of gates (big layers weigh more).
    normalize="none": sum |M| itself, the paper's raw term."""
    terms, total, count = [], 0, 0
    for name, *_, g in gated_modules(model):
        mo, mi = g.out_mask(), g.in_mask()
        caps = g.max_closed if mo is not None and g.max_closed is not None else [None] * g.groups
        parts = [] if mo is None else list(zip(_group_names(name, g), mo.chunk(g.groups), caps))
        parts += [] if mi is None else [(name + ":in", mi, None)]
        for gname, m, cap in parts:
            s = m.sum()  # = sum |M| since M >= 0; unlike abs() it keeps the STE gradient at M = 0
            t = _target_of(target, gname)
            if t is not None:
                # under a budget (set_budget) the term ends where the budget does, so that a
                # layer at its budget feels no push at all
                keep = (m.numel() - cap) if cap is not None else (1.0 - t) * m.numel()
                s = F.relu(s - keep)
            terms.append(s / m.numel() if normalize == "layer" else s)
            count += m.numel()
    if normalize not in ("layer", "size", "none"):
        raise ValueError(f"rramft_prune.sparsity_loss: unknown normalize '{normalize}'")
    total = torch.stack(terms).sum()
    if normalize == "layer":
        return total / len(terms)
    if normalize == "size":
        return total / count
    return total


def set_budget(model, max_sparsity):
    """A budget-constrained gate: in every gated layer (output group; names as in
    column_sparsity), at most floor(max_sparsity * outputs) outputs are ever closed, whatever
    the gates do: when more gates than that are <= 0, the largest of them stay open (the
    straight-through gradient is unchanged). max_sparsity: a fraction, {layer name: fraction}
    with an optional "*" default (as sparsity_loss's target), or None to lift the budget.

    Why: with the hinge target alone, gates that start equal fall together under the
    sparsity term, and by the time a layer's sum |M| reaches its target most of its gates sit
    just above 0; the optimizer's momentum carries them all below it, and a closed channel
    followed by batch norm and ReLU gets no gradient to reopen (ResNet: 35% asked, 58% got).
    With the budget the sparsity term still pushes every gate down, but only the gates ranked
    lowest (by how much the task loss held them up) can close."""
    for name, _, _, _, g in gated_modules(model):
        if g.out_gate is None:
            continue
        caps = []
        for gname, n in zip(_group_names(name, g), [g.n_out // g.groups] * g.groups):
            t = _target_of(max_sparsity, gname)
            caps.append(n if t is None else int(math.floor(t * n + 1e-9)))
        g.max_closed = None if max_sparsity is None else caps


@torch.no_grad()
def enforce_min_sparsity(model, fraction, skip=()):
    """Before freeze(): in every gated layer (output group; names as in column_sparsity,
    except those in skip) that keeps more than (1 - fraction) of its outputs, closes the open
    gates of smallest value until ceil(fraction * outputs) are pruned.
    Returns {name: outputs newly pruned}."""
    if not 0 <= fraction < 1:
        raise ValueError(f"rramft_prune.enforce_min_sparsity: fraction {fraction} not in [0, 1)")
    changed = {}
    for name, _, _, _, g in gated_modules(model):
        if name in skip or g.out_gate is None:
            continue
        if g.frozen:
            raise RuntimeError("rramft_prune.enforce_min_sparsity: call it before freeze()")
        mask = g.out_mask().detach()
        for i, (gname, v, m) in enumerate(zip(_group_names(name, g), g.out_gate.data.chunk(g.groups),
                                               mask.chunk(g.groups))):
            if gname in skip:
                continue
            need = math.ceil(fraction * v.numel() - 1e-9)
            pruned = int((m <= 0).sum())
            if pruned >= need:
                continue
            if g.max_closed is not None and g.max_closed[i] < need:
                g.max_closed[i] = need  # the minimum wins over the budget
            held = torch.nonzero((m > 0) & (v <= 0)).flatten()
            if held.numel():  # gates the budget held open: open in their own right, order kept
                f = v[held]
                v[held] = 1e-6 * (1 + (f - f.min()) / (f.max() - f.min() + 1e-12))
            open_idx = torch.nonzero(v > 0).flatten()
            order = open_idx[torch.sort(v[open_idx], stable=True).indices]
            close = order[: need - pruned]
            v[close] = -1e-3  # a view of out_gate: closes the gates in place
            changed[gname] = int(close.numel())
    return changed


@torch.no_grad()
def freeze(model):
    """Fixes every mask to step(g) as it is now, sets the raw weights and biases of pruned
    rows/columns to +0.0 and stops the gates' gradients. After this, optimizer steps keep
    pruned weights exactly zero (their gradient is exactly zero)."""
    for _, mod, wattr, battr, g in gated_modules(model):
        if g.frozen:
            continue
        mo = g.out_mask().detach().clone() if g.out_gate is not None else None
        mi = (g.in_gate > 0).to(g.in_gate.dtype) if g.in_gate is not None else None
        g.out_fixed, g.in_fixed = mo, mi
        g.frozen = True
        for p in (g.out_gate, g.in_gate):
            if p is not None:
                p.requires_grad_(False)
        raw = getattr(mod.parametrizations, wattr).original
        keep = torch.ones_like(raw, dtype=torch.bool)
        if mo is not None:
            keep &= (mo > 0).view(-1, *([1] * (raw.dim() - 1)))
        if mi is not None:
            keep &= (mi > 0).view(1, -1, *([1] * (raw.dim() - 2)))
        raw.copy_(torch.where(keep, raw, torch.zeros_like(raw)))
        if battr is not None and mo is not None:
            rb = getattr(mod.parametrizations, battr).original
            rb.copy_(torch.where(mo > 0, rb, torch.zeros_like(rb)))


def masks(model):
    """{weight name: (out mask bool tensor or None, in mask bool tensor or None)}, step(g) now."""
    res = {}
    with torch.no_grad():
        for name, *_, g in gated_modules(model):
            mo, mi = g.out_mask(), g.in_mask()
            res[name] = (None if mo is None else mo.detach() > 0, None if mi is None else mi.detach() > 0)
    return res


def column_sparsity(model):
    """{layer name: (pruned outputs, outputs)} for every gated layer (crossbar columns freed);
    a stacked weight's groups are listed separately as name[q], name[k], name[v]."""
    ms = masks(model)
    res = {}
    for name, *_, g in gated_modules(model):
        mo = ms[name][0]
        if mo is None:
            continue
        for gname, m in zip(_group_names(name, g), mo.chunk(g.groups)):
            res[gname] = (int((~m).sum()), m.numel())
    return res


@torch.no_grad()
def bake(model):
    """Removes the parametrizations: weights and biases become plain nn.Parameters holding
    the masked values, pruned entries exactly +0.0. Returns the masks() taken before."""
    ms = masks(model)
    for name, mod, wattr, battr, g in gated_modules(model):
        mo, mi = ms[name]
        for attr, is_bias in ((wattr, False), (battr, True)):
            if attr is None:
                continue
            eff = getattr(mod, attr).detach().clone()
            keep = torch.ones_like(eff, dtype=torch.bool)
            if mo is not None:
                keep &= mo.view(-1, *([1] * (eff.dim() - 1)))
            if mi is not None and not is_bias:
                keep &= mi.view(1, -1, *([1] * (eff.dim() - 2)))
            eff = torch.where(keep, eff, torch.zeros_like(eff))
            parametrize.remove_parametrizations(mod, attr, leave_parametrized=False)
            getattr(mod, attr).data.copy_(eff)
    return ms
