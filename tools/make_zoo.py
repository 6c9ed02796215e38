#!/usr/bin/python3
"""Writes the placeholder model zoo: models/zoo/mlp-dense and models/zoo/mlp-pruned.

Both are untrained 784-256-128-10 MLPs (Gaussian weights, std 1/sqrt(fan_in)) in the
Hugging Face folder layout, config.json plus model.safetensors (F32), written here with
numpy only. mlp-pruned is the same network with structured pruning stored as exact zeros:
  * 40% of fc1's outputs and 40% of fc2's outputs (the rows of smallest L2 norm of the
    PyTorch weight, with their biases), and the matching input columns of the next layer;
  * 10% of fc1's input pixels, all on the image border, as zero input columns of fc1.
Deterministic: the same seed always gives byte-identical files.

Usage: /usr/bin/python3 tools/make_zoo.py [--out models/zoo]
"""
import argparse
import json
import os
import struct

import numpy as np

SEED = 20261123
SIZES = [784, 256, 128, 10]
IMAGE = 28
OUT_PRUNE = 0.4
PIXEL_PRUNE = 0.1


def save_safetensors(path, tensors, metadata=None):
    """tensors: dict name -> float32 array. Sorted names, header padded with spaces to 8 bytes."""
    header = {}
    if metadata:
        header["__metadata__"] = dict(metadata)
    offset = 0
    blobs = []
    for name in sorted(tensors):
        a = np.ascontiguousarray(tensors[name], dtype="<f4")
        assert np.all(np.isfinite(a)), name
        header[name] = {"dtype": "F32", "shape": list(a.shape), "data_offsets": [offset, offset + a.nbytes]}
        offset += a.nbytes
        blobs.append(a.tobytes())
    text = json.dumps(header, sort_keys=True, separators=(",", ":")).encode()
    text += b" " * ((8 - len(text) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for b in blobs:
            f.write(b)


def write_model(folder, tensors, description):
    os.makedirs(folder, exist_ok=True)
    config = {"model_type": "mlp", "layer_sizes": SIZES, "activation": "relu"}
    with open(os.path.join(folder, "config.json"), "w") as f:
        json.dump(config, f, indent=2)
        f.write("\n")
    save_safetensors(os.path.join(folder, "model.safetensors"), tensors,
                     {"format": "pt", "generator": "tools/make_zoo.py", "seed": str(SEED),
                      "description": description})


def dense_mlp(rng):
    t = {}
    for k in range(1, len(SIZES)):
        fan_in, fan_out = SIZES[k - 1], SIZES[k]
        t[f"fc{k}.weight"] = rng.normal(0.0, 1.0 / np.sqrt(fan_in), (fan_out, fan_in)).astype(np.float32)
        t[f"fc{k}.bias"] = rng.normal(0.0, 0.01, fan_out).astype(np.float32)
    return t


def border_pixels():
    return [y * IMAGE + x for y in range(IMAGE) for x in range(IMAGE)
            if y in (0, IMAGE - 1) or x in (0, IMAGE - 1)]


def prune(dense, rng):
    t = {k: v.copy() for k, v in dense.items()}
    # Input pixels: 10% of the 784 inputs, drawn from the 108 border pixels.
    n_pix = int(round(PIXEL_PRUNE * SIZES[0]))
    pixels = np.sort(rng.choice(border_pixels(), size=n_pix, replace=False))
    t["fc1.weight"][:, pixels] = 0.0
    # Outputs of fc1 and fc2: the rows of smallest norm (after the previous step), and the
    # next layer's matching input columns, so the pruned neuron is gone on both sides.
    for k in (1, 2):
        w = t[f"fc{k}.weight"]
        n = int(round(OUT_PRUNE * w.shape[0]))
        rows = np.sort(np.argsort(np.linalg.norm(w, axis=1), kind="stable")[:n])
        w[rows, :] = 0.0
        t[f"fc{k}.bias"][rows] = 0.0
        t[f"fc{k + 1}.weight"][:, rows] = 0.0
    return t


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "models", "zoo"))
    args = ap.parse_args()
    rng = np.random.default_rng(SEED)
    dense = dense_mlp(rng)
    pruned = prune(dense, rng)
    write_model(os.path.join(args.out, "mlp-dense"), dense, "untrained 784-256-128-10 MLP")
    write_model(os.path.join(args.out, "mlp-pruned"), pruned,
                "mlp-dense with 40% of fc1/fc2 outputs and 78 border input pixels pruned to exact zeros")
    for name, t in (("mlp-dense", dense), ("mlp-pruned", pruned)):
        zeros = sum(int((v == 0).sum()) for v in t.values())
        total = sum(v.size for v in t.values())
        print(f"{name}: {total} parameters, {zeros} exact zeros")


if __name__ == "__main__":
    main()
