#!/usr/bin/python3
"""The shipped zoo models through both front ends: `rramft infer --model FOLDER` (the family
front end: config.json + model.safetensors) against `rramft infer --model FOLDER/model.onnx`
(the ONNX file models/train exported from the same folder), on the same data.

  float logits        max |onnx - folder| <= 1e-5 * max |folder|
  fault-free mapped   the same accuracy, and logits within 2e-2 of the largest (the same
                      crossbar layers in the same order see the same weights; the digital
                      operators of the two graphs round differently in the last bits (erf,
                      softmax), which can move an activation across a quantization step:
                      bit-identical for mlp, lenet5 and bert, about 6e-3 for vit)
  faulty chip         the same accuracy at rate 1e-3 (the same cells fail: same layers, same seed)
  resnet              float, mapped and faulty logits bit-identical: the family folds every
                      batch norm into its convolution as torch.onnx.export did, so both graphs
                      hold the same crossbar layers and the same digital operators

Image families read Fashion-MNIST idx (the ONNX graph normalises pixel / 255 itself); bert
reads the token ids shipped in the folder (reference_inputs.npy, reference_labels.npy).

usage: check_zoo.py RRAMFT ARCH ZOO_DIR WORK_DIR MODEL [MODEL...]"""
import json
import os
import subprocess
import sys

import numpy as np

IMAGES = "fashion-mnist:24"
EXACT = {"resnet"}  # families whose folder and model.onnx give the same logits bit for bit


def infer(exe, arch, model, data, out):
    cmd = [exe, "infer", "--model", model, "--data", data, "--arch", arch, "--rate", "1e-3",
           "--out", out]
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)}: exit {r.returncode}: {r.stderr.strip()[:300]}")
    got = {k: np.load(os.path.join(out, k + ".npy")).astype(np.float64)
           for k in ("float", "mapped", "faulty")}
    with open(os.path.join(out, "infer.json")) as f:
        got["json"] = json.load(f)
    return got


def main():
    exe, arch, zoo, work = sys.argv[1:5]
    failed = []
    for name in sys.argv[5:]:
        folder = os.path.join(zoo, name)
        with open(os.path.join(folder, "config.json")) as f:
            family = json.load(f)["model_type"]
        if family == "bert":
            data = (os.path.join(folder, "reference_inputs.npy") + "," +
                    os.path.join(folder, "reference_labels.npy"))
        else:
            data = IMAGES
        try:
            a = infer(exe, arch, folder, data, os.path.join(work, name, "folder"))
            b = infer(exe, arch, os.path.join(folder, "model.onnx"), data,
                      os.path.join(work, name, "onnx"))
        except RuntimeError as e:
            print(f"FAIL {name}: {e}")
            failed.append(name)
            continue
        scale = float(np.abs(a["float"]).max())
        fl = float(np.abs(a["float"] - b["float"].reshape(a["float"].shape)).max()) / scale
        mp = float(np.abs(a["mapped"] - b["mapped"].reshape(a["mapped"].shape)).max()) / scale
        acc = {k: (a["json"][k + "_accuracy"], b["json"][k + "_accuracy"])
               for k in ("float", "mapped", "faulty")}
        ok = (fl <= 1e-5 and mp <= 2e-2 and all(x == y for x, y in acc.values()))
        if family in EXACT:
            same = {k: bool(np.array_equal(a[k], b[k].reshape(a[k].shape)))
                    for k in ("float", "mapped", "faulty")}
            ok = ok and all(same.values())
            print(f"     {name}: bit-identical logits {same}")
        print(f"{'ok  ' if ok else 'FAIL'} {name}: float max rel. difference {fl:.1e}, mapped "
              f"{mp:.1e} (<= 2e-2); accuracy folder/onnx float {acc['float'][0]:.4f}/"
              f"{acc['float'][1]:.4f}, mapped {acc['mapped'][0]:.4f}/{acc['mapped'][1]:.4f}, "
              f"faulty {acc['faulty'][0]:.4f}/{acc['faulty'][1]:.4f}")
        if not ok:
            failed.append(name)
    if failed:
        raise SystemExit("failed: " + " ".join(failed))


if __name__ == "__main__":
    main()
