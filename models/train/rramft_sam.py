"""Sharpness-aware training of quantized weights (SAQ; Malhotra and Gupta, arXiv 2406.10528,
after Liu et al.'s sharpness-aware quantization) for any PyTorch model. Self-contained (torch
only): copy this file into another project and use it.

Three pieces, each usable alone:

- Fake quantization (docs/design.md): every nn.Linear / nn.Conv1/2/3d weight and every
  nn.MultiheadAttention in_proj_weight (its q, k and v thirds separately, as the C++ engine
  maps them) is read as Q(W): symmetric sign-magnitude with n bits, one scale per layer
  s = max|W| / (2^(n-1) - 1) (or per output row), m = round(|w| / s) half away from zero,
  computed in double precision like core/quant.cpp. The backward pass is the straight-through
  estimator dL/dW = dL/dQ(W). A model trained this way exports weights that already sit on
  the n-bit grid, so the accelerator computes exactly what the trained model computed.
- SAM on the quantized weights: each step takes the gradient g at the quantized weights,
  adds the adversarial perturbation e = rho * g / ||g||_2 (||e||_2 = rho over all the
  optimizer's parameters) AFTER quantization (W_eff = Q(W) + e, so rounding cannot swallow
  it), takes the gradient there, removes e and lets the base optimizer (SGD, Adam, AdamW, ...)
  step with that gradient. Two forward/backward passes per step; rho = 0 is the base optimizer.
  Parameters that are not quantized (biases, norms, embeddings) are perturbed directly.
- ActivationMonitor: records the inputs of chosen layers, for an L1 penalty on activations
  (activation sparsity, the paper's fragile case) and for measuring activation sparsity.

    import rramft_sam as rs
    rs.attach(model, bits=4)                       # after rramft_prune.attach, if pruning
    opt = rs.SAM(torch.optim.AdamW(model.parameters(), lr=1e-3), rho=0.05, model=model)
    for x, y in data:
        F.cross_entropy(model(x), y).backward()
        opt.first_step()                           # W_eff = Q(W) + e, gradients cleared
        F.cross_entropy(model(x), y).backward()
        opt.second_step()                          # e removed, base optimizer steps
    # or: opt.step(closure) with a closure that zeroes nothing, computes the loss and backwards

Pruning gates (rramft_prune) compose with it: attach the gates first; the gate multiplies
before the quantizer, a pruned weight has gradient exactly 0, so its perturbation is 0 and
it stays exactly 0 in both passes.
"""
import torch
import torch.nn as nn
from torch.nn.utils import parametrize

__all__ = ["quantize", "QuantSTE", "FakeQuant", "attach", "quantizers", "bake", "SAM",
           "ActivationMonitor", "activation_sparsity"]


def quantize(w, bits, groups=1, per_channel=False):
    """Q(w): the dequantized n-bit sign-magnitude values (docs/design.md), same dtype as w.

    groups > 1: the rows are that many layers stacked (in_proj: q, k, v), each with its own
    scale; per_channel: one scale per row. Arithmetic in double, like core/quant.cpp."""
    if not 2 <= int(bits) <= 16:
        raise ValueError(f"rramft_sam.quantize: bits {bits} not in [2, 16]")
    mmax = float(2 ** (int(bits) - 1) - 1)
    wd = w.detach().double()
    rows = wd.reshape(wd.shape[0], -1) if per_channel else wd.reshape(int(groups), -1)
    mx = rows.abs().amax(dim=1, keepdim=True)
    s = torch.where(mx > 0, mx / mmax, torch.ones_like(mx))
    x = rows.abs() / s
    m = torch.floor(x)
    m = torch.clamp(m + (x - m >= 0.5).double(), max=mmax)  # round half away from zero, exact
    return (torch.sign(rows) * m * s).reshape(w.shape).to(w.dtype)


class QuantSTE(torch.autograd.Function):
    """Forward Q(w); backward the straight-through estimator (gradient passed unchanged)."""

    @staticmethod
    def forward(ctx, w, bits, groups, per_channel):
        return quantize(w, bits, groups, per_channel)

    @staticmethod
    def backward(ctx, grad):
        return grad, None, None, None


class FakeQuant(nn.Module):
    """Weight parametrization W -> Q(W) (+ the SAM perturbation while one is set)."""

    def __init__(self, bits, groups=1, per_channel=False):
        super().__init__()
        if not 2 <= int(bits) <= 16:
            raise ValueError(f"rramft_sam: bits {bits} not in [2, 16]")
        self.bits, self.groups, self.per_channel = int(bits), int(groups), bool(per_channel)
        self.perturb = None  # set by SAM.first_step, cleared by SAM.second_step

    def forward(self, w):
        q = QuantSTE.apply(w, self.bits, self.groups, self.per_channel)
        return q if self.perturb is None else q + self.perturb

    def extra_repr(self):
        return f"bits={self.bits}, groups={self.groups}, per_channel={self.per_channel}"


def _targets(module):
    if isinstance(module, (nn.Linear, nn.Conv1d, nn.Conv2d, nn.Conv3d)):
        return [("weight", 1)]
    if isinstance(module, nn.MultiheadAttention):
        if not module._qkv_same_embed_dim:
            raise ValueError("rramft_sam: MultiheadAttention with kdim/vdim != embed_dim is not supported")
        return [("in_proj_weight", 3)]
    return []


def _fake_quant_of(mod, attr):
    if not parametrize.is_parametrized(mod, attr):
        return None
    for p in getattr(mod.parametrizations, attr):
        if isinstance(p, FakeQuant):
            return p
    return None


def attach(model, bits, include=None, exclude=(), per_channel=False):
    """Fake-quantizes every nn.Linear / nn.Conv1/2/3d weight and every MultiheadAttention
    in_proj_weight of @p model to @p bits bits (all of them by default: the accelerator maps
    every one, classifier included). Composes with parametrizations already there (attach
    pruning gates first). include: optional callable(name, module) -> bool; exclude: module
    names to skip. Returns {"<module>.<attr>": FakeQuant}."""
    exclude = set(exclude)
    found = {}
    for name, mod in list(model.named_modules()):
        if name in exclude or (include is not None and not include(name, mod)):
            continue
        for attr, groups in _targets(mod):
            if _fake_quant_of(mod, attr) is not None:
                continue
            fq = FakeQuant(bits, groups, per_channel)
            parametrize.register_parametrization(mod, attr, fq)
            found[f"{name}.{attr}" if name else attr] = fq
    if not found:
        raise ValueError("rramft_sam.attach: no quantizable layer found")
    return found


def quantizers(model):
    """[(qualified weight name, module, attribute, FakeQuant, raw parameter)]."""
    out = []
    for name, mod in model.named_modules():
        for attr, _ in _targets(mod):
            fq = _fake_quant_of(mod, attr)
            if fq is not None:
                out.append((f"{name}.{attr}" if name else attr, mod, attr, fq,
                            getattr(mod.parametrizations, attr).original))
    return out


@torch.no_grad()
def bake(model):
    """Replaces every fake-quantized weight by a plain parameter holding Q(W). Call
    rramft_prune.bake first when pruning gates are attached (it bakes both)."""
    for name, mod, attr, fq, _ in quantizers(model):
        if len(getattr(mod.parametrizations, attr)) != 1:
            raise ValueError(f"rramft_sam.bake: {name} has other parametrizations; "
                             "call rramft_prune.bake first")
        fq.perturb = None
        eff = getattr(mod, attr).detach().clone()
        parametrize.remove_parametrizations(mod, attr, leave_parametrized=False)
        getattr(mod, attr).data.copy_(eff)


class SAM:
    """Sharpness-aware minimisation around a base optimizer (Foret et al. 2021), with the
    perturbation applied to the quantized weights where the model has FakeQuant
    parametrizations (pass @p model), to the parameters themselves elsewhere.

    The perturbation is e = rho * g / ||g||_2 over every parameter of the base optimizer
    that has a gradient. Parameters are restored bit for bit before the base step."""

    def __init__(self, base_optimizer, rho=0.05, model=None):
        if not rho >= 0:
            raise ValueError(f"rramft_sam.SAM: rho {rho} must be >= 0")
        self.base = base_optimizer
        self.rho = float(rho)
        self._quant = {}
        if model is not None:
            for *_, fq, raw in quantizers(model):
                self._quant[id(raw)] = fq
        self._saved = []
        self.perturbation = {}  # id(parameter) -> e of the last first_step (for inspection)

    @property
    def param_groups(self):
        return self.base.param_groups

    def zero_grad(self, set_to_none=True):
        self.base.zero_grad(set_to_none=set_to_none)

    def state_dict(self):
        return self.base.state_dict()

    def load_state_dict(self, sd):
        self.base.load_state_dict(sd)

    def _params(self):
        return [p for g in self.base.param_groups for p in g["params"] if p.grad is not None]

    @torch.no_grad()
    def first_step(self):
        """Moves to the adversarial point Q(W) + e using the gradients now in .grad, then
        clears the gradients for the second pass."""
        if self._saved or any(fq.perturb is not None for fq in self._quant.values()):
            raise RuntimeError("rramft_sam.SAM.first_step: call second_step first")
        ps = self._params()
        if not ps:
            raise RuntimeError("rramft_sam.SAM.first_step: no gradients (call backward first)")
        norm = torch.stack([p.grad.detach().double().norm(2).cpu() for p in ps]).norm(2)
        scale = self.rho / (float(norm) + 1e-12)
        self.perturbation = {}
        for p in ps:
            e = (p.grad.detach().double() * scale).to(p.dtype)
            self.perturbation[id(p)] = e
            fq = self._quant.get(id(p))
            if fq is not None:
                fq.perturb = e
            else:
                self._saved.append((p, p.detach().clone()))
                p.add_(e)
        self.base.zero_grad(set_to_none=True)

    @torch.no_grad()
    def second_step(self):
        """Removes the perturbation and steps the base optimizer with the gradients taken at
        the adversarial point; then clears the gradients."""
        for fq in self._quant.values():
            fq.perturb = None
        for p, old in self._saved:
            p.copy_(old)
        self._saved = []
        self.base.step()
        self.base.zero_grad(set_to_none=True)

    def step(self, closure):
        """closure(): computes the loss and calls backward (without zeroing); returns the
        loss. Called twice. Returns the first (unperturbed) loss."""
        with torch.enable_grad():
            loss = closure()
        self.first_step()
        with torch.enable_grad():
            closure()
        self.second_step()
        return loss


class ActivationMonitor:
    """Records the input of chosen layers on every forward (forward pre-hooks).

    layers: module names; default every nn.Linear / nn.Conv1/2/3d except the first (whose
    input is the image): in ReLU networks those inputs are the activations the crossbars'
    DACs see. l1() = sum over layers of mean |input|, the activation-sparsity penalty."""

    def __init__(self, model, layers=None):
        mods = dict(model.named_modules())
        if layers is None:
            layers = [n for n, m in model.named_modules()
                      if isinstance(m, (nn.Linear, nn.Conv1d, nn.Conv2d, nn.Conv3d))][1:]
        missing = [n for n in layers if n not in mods]
        if missing or not layers:
            raise ValueError(f"rramft_sam.ActivationMonitor: no such layers {missing or layers}")
        self.layers = list(layers)
        self.inputs = {}
        self._handles = [mods[n].register_forward_pre_hook(self._hook(n)) for n in self.layers]

    def _hook(self, name):
        def f(_mod, args):
            self.inputs[name] = args[0]
        return f

    def clear(self):
        self.inputs = {}

    def l1(self):
        if not self.inputs:
            raise RuntimeError("rramft_sam.ActivationMonitor.l1: no forward pass recorded")
        return torch.stack([self.inputs[n].abs().mean() for n in self.layers if n in self.inputs]).sum()

    def remove(self):
        for h in self._handles:
            h.remove()
        self._handles = []


@torch.no_grad()
def activation_sparsity(model, x, layers=None, batch=1000):
    """{layer: fraction of exact zeros in its input over the images x} and "mean" (over all
    recorded values), for the layers of ActivationMonitor."""
    was = model.training
    model.eval()
    mon = ActivationMonitor(model, layers)
    zeros = {n: 0 for n in mon.layers}
    count = {n: 0 for n in mon.layers}
    try:
        for i in range(0, len(x), batch):
            mon.clear()
            model(x[i:i + batch])
            for n, t in mon.inputs.items():
                zeros[n] += int((t == 0).sum())
                count[n] += t.numel()
    finally:
        mon.remove()
        model.train(was)
    res = {n: zeros[n] / max(1, count[n]) for n in mon.layers}
    res["mean"] = sum(zeros.values()) / max(1, sum(count.values()))
    return res
