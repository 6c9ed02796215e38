"""Train (and optionally prune) an mlp, lenet5 or vit on Fashion-MNIST and export it in the
Hugging Face layout the C++ loader reads (config.json + model.safetensors), and the same network
as model.onnx (models/train/onnx_export.py). Run from the repository root:

  /usr/bin/python3 -m models.train.train --model lenet5 --epochs 15 --seed 1 --out models/zoo/lenet5-dense
  /usr/bin/python3 -m models.train.train --model lenet5 --init models/zoo/lenet5-dense --prune \\
      --mu 2 --epochs 4 --finetune-epochs 6 --seed 1 --out models/zoo/lenet5-pruned
  /usr/bin/python3 -m models.train.train --model vit --prune --smoke --out /tmp/smoke-vit
  /usr/bin/python3 -m models.train.train --model lenet5 --init models/zoo/lenet5-pruned \
      --weight-bits 8 --sam-rho 0.2 --epochs 4 --lr 2e-4 --seed 1 --threads 1 --out /tmp/lenet5-pruned-sam

Phases: (1) --epochs of training; with --prune the gates learn too (loss = CE + mu *
sparsity_loss, a second optimizer for the gates); then --min-col-sparsity closes the
weakest gates of any layer still below it; (2) with --prune, --finetune-epochs of training
with the masks frozen. --weight-bits trains the weights fake-quantized (rramft_sam, straight-through
estimator) and exports them on the n-bit grid; --sam-rho adds sharpness-aware minimisation
on the quantized weights (two passes per step); --act-l1 an L1 penalty on the activations.
Without --prune, an --init model's pruned outputs (zero rows) are kept exactly zero.
The export is then reloaded and checked against the trained model,
and its float accuracy on the 10,000 test images is written to config.json ("training").
Deterministic for a given seed on a given device and torch version (CPU: bit for bit).
"""
import argparse
import math
import os
import shlex
import sys
import time

os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")  # deterministic cuBLAS

import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

from . import data, export, nets, onnx_export  # noqa: E402
from . import rramft_prune as rp  # noqa: E402
from . import rramft_sam as rs  # noqa: E402


def parse_args(argv):
    p = argparse.ArgumentParser(prog="python3 -m models.train.train", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", choices=["mlp", "lenet5", "vit"], required=True)
    p.add_argument("--out", required=True, help="output folder (config.json + model.safetensors)")
    p.add_argument("--epochs", type=int, default=10, help="epochs of phase 1 (training; gate learning with --prune)")
    p.add_argument("--finetune-epochs", type=int, default=0, help="with --prune: epochs with the masks frozen")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--init", help="start from this exported model folder (its config fixes the architecture)")
    p.add_argument("--device", default="cpu", help="cpu | cuda | auto")
    p.add_argument("--threads", type=int, default=0, help="CPU threads (0: torch's default)")
    p.add_argument("--data", help=f"Fashion-MNIST folder (default $RRAMFT_FMNIST or {data.DEFAULT_DIR})")
    p.add_argument("--smoke", action="store_true",
                   help="a few steps on a few hundred images, then export and check (CI)")
    # optimisation
    p.add_argument("--batch-size", type=int, default=128)
    p.add_argument("--lr", type=float, default=1e-3, help="AdamW peak learning rate (cosine decay, per phase)")
    p.add_argument("--finetune-lr", type=float, help="peak learning rate of phase 2 (default --lr)")
    p.add_argument("--weight-decay", type=float, default=1e-4, help="AdamW decay of >= 2-D weights")
    p.add_argument("--warmup-epochs", type=float, default=0.0)
    p.add_argument("--label-smoothing", type=float, default=0.0)
    p.add_argument("--augment", action=argparse.BooleanOptionalAction, default=False,
                   help="random +-2 pixel shifts and horizontal flips")
    # pruning
    p.add_argument("--prune", action="store_true", help="learn output gates (rramft_prune, docs/design.md stage 1)")
    p.add_argument("--mu", type=float, default=1.0, help="weight of the sparsity loss")
    p.add_argument("--normalize", choices=["layer", "size", "none"], default="layer",
                   help="sparsity loss: mean of per-layer kept fractions | sum|M| / gates | sum|M|")
    p.add_argument("--target-sparsity", type=float,
                   help="per-layer budget: a layer's sparsity loss stops once this fraction of its outputs is pruned")
    p.add_argument("--layer-target", action="append", default=[], metavar="NAME=FRACTION",
                   help="per-layer --target-sparsity (NAME as printed, e.g. conv2 or "
                        "blocks.0.self_attn.in_proj_weight[v]); repeatable")
    p.add_argument("--exclude", default="",
                   help="comma-separated module names left ungated (the last Linear always is)")
    p.add_argument("--gate-lr", type=float, default=1e-2, help="Adam learning rate of the gates")
    p.add_argument("--gate-init", type=float, default=1.0)
    p.add_argument("--in-gates", action="store_true", help="also gate the inputs of every layer")
    p.add_argument("--min-col-sparsity", type=float, default=0.0,
                   help="after phase 1, prune the weakest outputs of any gated layer below this fraction")
    # quantization-aware and sharpness-aware training (rramft_sam)
    p.add_argument("--weight-bits", type=int, default=0,
                   help="train with weights fake-quantized to this many bits (sign-magnitude, STE) "
                        "and export them quantized; 0: float")
    p.add_argument("--weight-scale", choices=["per_layer", "per_channel"], default="per_layer",
                   help="quantization scale per layer or per output (as the arch key weight_scale)")
    p.add_argument("--sam-rho", type=float, default=0.0,
                   help="sharpness-aware minimisation radius on the (quantized) weights; 0: off")
    p.add_argument("--act-l1", type=float, default=0.0,
                   help="L1 penalty on the inputs of every weight layer but the first (activation sparsity)")
    # vit shape (ignored with --init)
    p.add_argument("--patch", type=int, default=4)
    p.add_argument("--hidden", type=int, default=64)
    p.add_argument("--layers", type=int, default=6)
    p.add_argument("--heads", type=int, default=4)
    p.add_argument("--mlp-dim", type=int, default=128)
    p.add_argument("--dropout", type=float, default=0.0)
    a = p.parse_args(argv)
    if a.finetune_epochs and not a.prune:
        p.error("--finetune-epochs needs --prune")
    if a.weight_bits and not 2 <= a.weight_bits <= 16:
        p.error(f"--weight-bits {a.weight_bits}: expected 0 or 2..16")
    if a.sam_rho < 0 or a.act_l1 < 0:
        p.error("--sam-rho and --act-l1 must be >= 0")
    a.targets = a.target_sparsity
    if a.layer_target:
        a.targets = {"*": a.target_sparsity}
        for item in a.layer_target:
            name, _, frac = item.partition("=")
            try:
                a.targets[name] = float(frac)
            except ValueError:
                p.error(f"--layer-target {item}: expected NAME=FRACTION")
    return a


def log(msg):
    print(msg, flush=True)


def make_model(a):
    if a.init:
        model, cfg = export.load_export(a.init)
        if cfg["model_type"] != a.model:
            raise SystemExit(f"--init {a.init} holds a {cfg['model_type']}, not a {a.model}")
        return model.train()
    if a.model == "vit":
        return nets.ViT(patch_size=a.patch, hidden_size=a.hidden, num_hidden_layers=a.layers,
                        num_attention_heads=a.heads, intermediate_size=a.mlp_dim, dropout=a.dropout)
    return nets.build(a.model)


def optimizer(model, lr, wd):
    gate_ids = {id(p) for p in rp.gate_parameters(model)} if any(True for _ in rp.gated_modules(model)) else set()
    decay, no_decay = [], []
    for name, p in model.named_parameters():
        if id(p) in gate_ids or not p.requires_grad:
            continue
        leaf = name.split(".")[-1]
        (decay if p.dim() >= 2 and leaf not in ("pos", "cls_token") else no_decay).append(p)
    return torch.optim.AdamW([{"params": decay, "weight_decay": wd},
                              {"params": no_decay, "weight_decay": 0.0}], lr=lr)


def schedule(opt, total, warmup):
    def f(step):
        if step < warmup:
            return (step + 1) / warmup
        t = (step - warmup) / max(1, total - warmup)
        return 0.5 * (1 + math.cos(math.pi * min(1.0, t)))
    return torch.optim.lr_scheduler.LambdaLR(opt, f)


@torch.no_grad()
def evaluate(model, x, y, batch=1000):
    was = model.training
    model.eval()
    correct = 0
    for i in range(0, len(x), batch):
        correct += int((model(x[i:i + batch]).argmax(1) == y[i:i + batch]).sum())
    model.train(was)
    return correct / len(x)


def sparsity_line(model):
    cs = rp.column_sparsity(model)
    pr = sum(p for p, _ in cs.values())
    tot = sum(n for _, n in cs.values())
    worst = min(cs.items(), key=lambda kv: kv[1][0] / max(1, kv[1][1]))
    return (f"gated columns pruned {pr}/{tot} ({100 * pr / max(1, tot):.1f}%), "
            f"least {worst[0]} {worst[1][0]}/{worst[1][1]}")


def run_phase(model, name, epochs, xtr, ytr, xte, yte, a, gen, bg, lr, prune_gates):
    if epochs <= 0:
        return
    n = len(xtr)
    steps_per_epoch = max(1, n // a.batch_size)
    if a.smoke:
        steps_per_epoch = min(steps_per_epoch, 4)
    total = steps_per_epoch * epochs
    opt_w = optimizer(model, lr, a.weight_decay)
    sch = schedule(opt_w, total, int(a.warmup_epochs * steps_per_epoch))
    opt_g = torch.optim.Adam(rp.gate_parameters(model), lr=a.gate_lr) if prune_gates else None
    sam = rs.SAM(opt_w, a.sam_rho, model) if a.sam_rho > 0 else None
    mon = rs.ActivationMonitor(model) if a.act_l1 > 0 else None
    dev = xtr.device

    def losses(x, y):
        if mon:
            mon.clear()
        logits = model(x)
        loss = F.cross_entropy(logits, y, label_smoothing=a.label_smoothing)
        total, sp = loss, None
        if prune_gates:
            sp = rp.sparsity_loss(model, a.normalize, a.targets)
            total = total + a.mu * sp
        if mon:
            total = total + a.act_l1 * mon.l1()
        return logits, loss, total, sp
    for ep in range(epochs):
        t0 = time.time()
        perm = torch.randperm(n, generator=gen).to(dev)
        tot_loss, tot_sp, correct, seen = 0.0, 0.0, 0, 0
        model.train()
        for s in range(steps_per_epoch):
            idx = perm[s * a.batch_size:(s + 1) * a.batch_size]
            x, y = xtr[idx], ytr[idx]
            if a.augment:
                x = data.augment(x, gen, bg)
            logits, loss, total_loss, sp = losses(x, y)
            if sp is not None:
                tot_sp += sp.item()
            opt_w.zero_grad(set_to_none=True)
            if opt_g:
                opt_g.zero_grad(set_to_none=True)
            total_loss.backward()
            if sam:
                # SAM: the weights' gradient is taken again at Q(W) + e; the gates (if any)
                # learn from the second pass too.
                sam.first_step()
                if opt_g:
                    opt_g.zero_grad(set_to_none=True)
                losses(x, y)[2].backward()
                sam.second_step()
            else:
                opt_w.step()
            if opt_g:
                opt_g.step()
            sch.step()
            tot_loss += loss.item()
            correct += int((logits.argmax(1) == y).sum())
            seen += len(y)
        acc = evaluate(model, xte, yte)
        msg = (f"[{name}] epoch {ep + 1}/{epochs} loss {tot_loss / steps_per_epoch:.4f} "
               f"train {100 * correct / seen:.2f}% test {100 * acc:.2f}% ({time.time() - t0:.1f} s)")
        if prune_gates:
            msg += f" sparsity loss {tot_sp / steps_per_epoch:.3f}; " + sparsity_line(model)
        log(msg)
    if mon:
        mon.remove()


def setup_run(a):
    """Threads, seeds and deterministic kernels from the parsed arguments (threads, device,
    seed); returns (device, CPU generator for shuffling and augmentation)."""
    if a.threads:
        torch.set_num_threads(a.threads)
    dev = torch.device("cuda" if a.device == "auto" and torch.cuda.is_available() else
                       ("cpu" if a.device == "auto" else a.device))
    torch.manual_seed(a.seed)
    np.random.seed(a.seed)
    torch.use_deterministic_algorithms(True, warn_only=True)
    if dev.type == "cuda":
        torch.backends.cudnn.deterministic = True
        torch.backends.cudnn.benchmark = False
        torch.backends.cuda.matmul.allow_tf32 = False
        torch.backends.cudnn.allow_tf32 = False
    return dev, torch.Generator().manual_seed(a.seed)


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    a = parse_args(argv)
    t_start = time.time()
    dev, gen = setup_run(a)

    model = make_model(a).to(dev)
    mean, std = nets.FMNIST_MEAN, nets.FMNIST_STD
    xtr_u, ytr = data.load("train", a.data)
    xte_u, yte = data.load("t10k", a.data)
    if a.smoke:
        xtr_u, ytr, xte_u, yte = xtr_u[:512], ytr[:512], xte_u[:256], yte[:256]
        a.batch_size = min(a.batch_size, 64)
    xtr = data.normalize(torch.from_numpy(xtr_u), mean, std).to(dev)
    xte = data.normalize(torch.from_numpy(xte_u), mean, std).to(dev)
    ytr, yte = torch.from_numpy(ytr).to(dev), torch.from_numpy(yte).to(dev)
    bg = (0.0 - mean) / std
    n_params = sum(p.numel() for p in model.parameters())
    log(f"{a.model}: {n_params} parameters on {dev}, {len(xtr)} training / {len(xte)} test images, seed {a.seed}")
    if a.init:
        log(f"init {a.init}: test {100 * evaluate(model, xte, yte):.2f}%")

    topped, kept = {}, {}
    if a.init and not a.prune:
        kept = rp.attach_existing(model)
        model.to(dev)
        if kept:
            log(f"--init {a.init}: {sum(kept.values())} pruned outputs in {len(kept)} layers kept "
                "exactly zero (frozen masks)")
    if a.prune:
        exclude = [_last(model)] + [e for e in a.exclude.split(",") if e]
        rp.attach(model, exclude=exclude, in_gates=a.in_gates, init=a.gate_init)
        model.to(dev)
    if a.weight_bits:
        rs.attach(model, a.weight_bits, per_channel=a.weight_scale == "per_channel")
        model.to(dev)
        log(f"weights fake-quantized to {a.weight_bits} bits ({a.weight_scale}): test "
            f"{100 * evaluate(model, xte, yte):.2f}%")
    if a.prune:
        run_phase(model, "prune", a.epochs, xtr, ytr, xte, yte, a, gen, bg, a.lr, True)
        if a.min_col_sparsity > 0:
            topped = rp.enforce_min_sparsity(model, a.min_col_sparsity)
            if topped:
                log(f"--min-col-sparsity {a.min_col_sparsity}: closed {topped}")
        rp.freeze(model)
        log("masks frozen: " + sparsity_line(model) + f"; test {100 * evaluate(model, xte, yte):.2f}%")
        run_phase(model, "finetune", a.finetune_epochs, xtr, ytr, xte, yte, a, gen, bg,
                  a.finetune_lr or a.lr, False)
    else:
        run_phase(model, "train", a.epochs, xtr, ytr, xte, yte, a, gen, bg, a.lr, False)
    act_sp = rs.activation_sparsity(model, xte) if a.model in ("mlp", "lenet5") else None

    model.eval()
    acc_mem = evaluate(model, xte, yte)
    training = {
        "command": "python3 -m models.train.train " + " ".join(shlex.quote(x) for x in argv),
        "seed": a.seed, "epochs": a.epochs, "finetune_epochs": a.finetune_epochs if a.prune else 0,
        "init": a.init, "pruned": a.prune, "smoke": a.smoke,
        "parameters": sum(p.numel() for p in rp.weight_parameters(model)),
        "device": str(dev) + (f" ({torch.cuda.get_device_name(dev)})" if dev.type == "cuda" else ""),
        "torch": torch.__version__,
        "dataset": "Fashion-MNIST (train 60000 / t10k 10000)" if not a.smoke else "smoke subset",
        "preprocessing": "x = (pixel / 255 - input_mean) / input_std",
        "weight_bits": a.weight_bits or None, "sam_rho": a.sam_rho, "act_l1": a.act_l1,
    }
    if a.weight_bits:
        training["weight_scale"] = a.weight_scale
    if kept:
        training["kept_pruned_outputs"] = kept
    if act_sp is not None:
        training["activation_sparsity"] = {k: round(v, 6) for k, v in act_sp.items()}
    if a.prune:
        training.update({"mu": a.mu, "normalize": a.normalize, "target_sparsity": a.targets,
                         "ungated": exclude, "gate_lr": a.gate_lr,
                         "min_col_sparsity": a.min_col_sparsity, "min_col_sparsity_closed": topped,
                         "in_gates": a.in_gates})
    cfg, tensors = export.export(model, a.out, mean, std, training,
                                 metadata={"seed": a.seed, "family": a.model})
    # Round trip: the exported folder, reloaded, must compute what the trained model computes.
    back, _ = export.load_export(a.out)
    back.to(dev)
    with torch.no_grad():
        ref = model(xte[:256])
        got = back(xte[:256])
    diff = float((ref - got).abs().max())
    grid = export.quant_grid_error(cfg, tensors, a.weight_bits, a.weight_scale == "per_channel") \
        if a.weight_bits else 0.0
    acc = evaluate(back, xte, yte)
    cfg["training"]["test_accuracy"] = round(acc, 6)
    cfg["training"]["seconds"] = round(time.time() - t_start, 1)
    export.write_config(a.out, cfg)
    try:  # the same network as an ONNX file (weights: external data in model.safetensors)
        onnx_export.write_onnx(a.out)
    except Exception as ex:  # the folder stays usable; onnx_export redoes it
        log(f"warning: ONNX export failed ({type(ex).__name__}: {ex}); "
            f"run /usr/bin/python3 -m models.train.onnx_export {a.out}")
    sp = cfg["training"]["sparsity"]
    log(f"exported {a.out}: test accuracy {100 * acc:.2f}% (trained model {100 * acc_mem:.2f}%), "
        f"round-trip max |diff| {diff:.2e}, column sparsity {100 * sp['column_sparsity']:.1f}% overall")
    for name, l in sp["layers"].items():
        log(f"  {name}: {l['pruned_outputs']}/{l['outputs']} outputs pruned "
            f"({100 * l['column_sparsity']:.1f}%), {l['pruned_inputs']}/{l['inputs']} inputs")
    if act_sp is not None:
        log("activation sparsity (zero inputs of " + ", ".join(k for k in act_sp if k != "mean") +
            f"): {100 * act_sp['mean']:.1f}% overall, " +
            ", ".join(f"{k} {100 * v:.1f}%" for k, v in act_sp.items() if k != "mean"))
    if a.weight_bits:
        log(f"exported weights re-quantized to {a.weight_bits} bits as the C++ engine does: "
            f"max |change| {grid:.2e} of a quantization step")
    if diff > 1e-4 * max(1.0, float(ref.abs().max())) or abs(acc - acc_mem) > 0.002 or grid > 1e-3:
        log("error: the exported model does not reproduce the trained one")
        return 1
    return 0


def _last(model):
    """Name of the model's last Linear (class outputs are never pruned)."""
    last = None
    for name, m in model.named_modules():
        if isinstance(m, torch.nn.Linear):
            last = name
    return last


if __name__ == "__main__":
    sys.exit(main())
