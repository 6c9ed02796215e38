"""A BERT-base-shaped classifier with random weights, for sizing studies (map, eval and run at
128-token sequences): 12 layers, hidden 768, 12 heads, MLP 3072, vocabulary 30522, 512
positions, 2 classes; the semantics of models/train/workloads.py's BertClassifier (Hugging Face
BertForSequenceClassification without attention mask). Not committed: generate it.

    /usr/bin/python3 -m models.train.make_bert_base --out /tmp/bert-base [--onnx] [--sparsity 0.3]

Weights: N(0, 0.02) (BERT's initialisation), biases 0, LayerNorm 1/0, from
torch.manual_seed(--seed). --sparsity F (default 0.3) prunes, in every Linear but the
classifier, the ceil(F * outputs) weight rows of smallest L2 norm (rows and biases set to
+0.0), then zeroes the inputs that can only read those zeros (as the zoo exporter does), so
that the protection schemes have free crossbar columns; --sparsity 0 leaves it dense.
Writes OUT/config.json + OUT/model.safetensors (about 440 MB), with --onnx OUT/model.onnx
(opset 17, 128 tokens), and OUT/tokens.npy (int64 [--sequences, 128], uniform random ids of
the vocabulary with [CLS]=101 first, as BERT's tokenizer would put it) with OUT/labels.npy
(int64, the float model's own argmax, so that the float accuracy is 100% by construction and
a mapped or faulty chip's accuracy reads as agreement with the float model).
"""
import argparse
import math
import os
import sys
import time

import numpy as np
import torch

from . import export
from . import workloads as wl


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--out", required=True)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--layers", type=int, default=12)
    p.add_argument("--hidden", type=int, default=768)
    p.add_argument("--heads", type=int, default=12)
    p.add_argument("--mlp-dim", type=int, default=3072)
    p.add_argument("--vocab", type=int, default=30522)
    p.add_argument("--positions", type=int, default=512)
    p.add_argument("--seq-len", type=int, default=128)
    p.add_argument("--labels", type=int, default=2)
    p.add_argument("--sparsity", type=float, default=0.3)
    p.add_argument("--sequences", type=int, default=16)
    p.add_argument("--onnx", action="store_true")
    a = p.parse_args(argv)
    if not 0 <= a.sparsity < 1:
        p.error(f"--sparsity {a.sparsity}: expected a fraction in [0, 1)")
    t0 = time.time()
    torch.manual_seed(a.seed)
    model = wl.BertClassifier(a.vocab, a.hidden, a.layers, a.heads, a.mlp_dim, a.positions, a.seq_len,
                              a.labels, dropout=0.0).eval()
    with torch.no_grad():
        if a.sparsity > 0:
            for name, m in model.named_modules():
                if isinstance(m, torch.nn.Linear) and name != "classifier":
                    n = math.ceil(a.sparsity * m.out_features - 1e-9)
                    order = torch.sort(m.weight.norm(dim=1), stable=True).indices
                    m.weight[order[:n]] = 0.0
                    m.bias[order[:n]] = 0.0
    t = wl.propagate(model, wl.state_arrays(model))
    model.load_state_dict({k: torch.from_numpy(v.copy()) for k, v in t.items()}, strict=True)
    cfg = model.config()
    cfg["training"] = {"generator": "python3 -m models.train.make_bert_base " + " ".join(argv or sys.argv[1:]),
                       "random_weights": True, "seed": a.seed, "sparsity": wl.sparsity_report(model, t)}
    os.makedirs(a.out, exist_ok=True)
    export.save_safetensors(os.path.join(a.out, "model.safetensors"), t,
                            {"format": "pt", "generator": "models/train/make_bert_base.py"})
    export.write_config(a.out, cfg)
    g = torch.Generator().manual_seed(a.seed + 1)
    ids = torch.randint(1000, a.vocab, (a.sequences, a.seq_len), generator=g)
    ids[:, 0] = 101  # [CLS] in BERT's vocabulary
    with torch.no_grad():
        labels = model(ids).argmax(1)
    np.save(os.path.join(a.out, "tokens.npy"), ids.numpy())
    np.save(os.path.join(a.out, "labels.npy"), labels.numpy())
    if a.onnx:
        wl.export_onnx(model, os.path.join(a.out, "model.onnx"), ids[:1])
    sp = cfg["training"]["sparsity"]
    print(f"{a.out}: BERT-base shape, {sum(p.numel() for p in model.parameters())} parameters, "
          f"column sparsity {100 * sp['column_sparsity']:.1f}%, {a.sequences} sequences of {a.seq_len} tokens "
          f"({time.time() - t0:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
