#!/usr/bin/python3
"""Runs `rramft infer` on ONNX cases written by make_cases.py and compares with PyTorch:

  float logits     max |rramft - torch| <= 1e-4 * max(1, max |torch|)   (float path)
  mapped logits    relative L2 error to torch <= sqrt(L) / 32 for L crossbar layers (8-bit
                   weights and inputs: each layer's quantization adds about 2^-5 relative error,
                   independently), and the error must grow when the weights get 3 bits (the
                   bound is not vacuous)

usage: check_cases.py RRAMFT ARCH CASES_DIR WORK_DIR CASE [CASE...]"""
import json
import os
import subprocess
import sys

import numpy as np


def infer(exe, arch, case, out, sets=()):
    cmd = [exe, "infer", "--model", os.path.join(case, "model.onnx"), "--data",
           os.path.join(case, "data.npz"), "--arch", arch, "--out", out]
    for s in sets:
        cmd += ["--set", s]
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError(f"rramft infer exited {r.returncode}: {r.stderr.strip()[:300]}")
    got = {k: np.load(os.path.join(out, k + ".npy")) for k in ("float", "mapped", "faulty")}
    with open(os.path.join(out, "infer.json")) as f:
        got["layers"] = json.load(f)["crossbar_layers"]
    return got


def main():
    exe, arch, cases, work = sys.argv[1:5]
    failed = []
    for name in sys.argv[5:]:
        case = os.path.join(cases, name)
        ref = np.load(os.path.join(case, "ref.npy")).astype(np.float64)
        try:
            got = infer(exe, arch, case, os.path.join(work, name))
        except RuntimeError as e:
            print(f"FAIL {name}: {e}")
            failed.append(name)
            continue
        fl = got["float"].astype(np.float64).reshape(ref.shape)
        scale = max(1.0, float(np.abs(ref).max()))
        err = float(np.abs(fl - ref).max()) / scale
        rel = lambda a: float(np.linalg.norm(a.astype(np.float64).reshape(ref.shape) - ref) /
                              max(np.linalg.norm(ref), 1e-12))
        mapped = rel(got["mapped"])
        coarse = rel(infer(exe, arch, case, os.path.join(work, name + "_w3"),
                           ["weight_bits=3"])["mapped"])
        bound = got["layers"] ** 0.5 / 32
        ok = err <= 1e-4 and mapped <= bound and coarse > mapped
        print(f"{'ok  ' if ok else 'FAIL'} {name}: float max error {err:.2e} (<= 1e-4), mapped "
              f"rel. L2 {mapped:.4f} (<= {bound:.3f}), with 3-bit weights {coarse:.4f}")
        if not ok:
            failed.append(name)
    if failed:
        raise SystemExit("failed: " + " ".join(failed))


if __name__ == "__main__":
    main()
