#!/usr/bin/python3
"""A zoo model's model.onnx takes what rramft feeds it: `rramft infer --model FOLDER/model.onnx
--data fashion-mnist:200` (idx images: an ONNX float input gets pixel / 255, models/network.cpp)
must give a float accuracy within TOLERANCE of the test accuracy recorded when the model was
trained (config.json training.test_accuracy, all 10,000 test images). An ONNX graph that
expects normalised images, (pixel / 255 - mean) / std, reads the wrong values and falls far
below (the ResNet's first export: 23% instead of 91%); 200 images put the sampling error at
about 2 points.

Exit status 77 (ctest: skipped) when Fashion-MNIST is not installed.

usage: check_onnx_input.py RRAMFT ARCH ZOO_DIR WORK_DIR MODEL [MODEL...]"""
import json
import os
import subprocess
import sys

IMAGES = 200
TOLERANCE = 0.04
FMNIST = "/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz"


def main():
    exe, arch, zoo, work = sys.argv[1:5]
    if not os.path.isfile(FMNIST):
        print(f"SKIPPED: {FMNIST} is absent (Debian package dataset-fashion-mnist, tools/setup.sh)")
        return 77
    failed = []
    for name in sys.argv[5:]:
        folder = os.path.join(zoo, name)
        with open(os.path.join(folder, "config.json")) as f:
            trained = json.load(f)["training"]["test_accuracy"]
        out = os.path.join(work, name)
        cmd = [exe, "infer", "--model", os.path.join(folder, "model.onnx"), "--data",
               f"fashion-mnist:{IMAGES}", "--arch", arch, "--out", out]
        r = subprocess.run(cmd, capture_output=True, text=True)
        if r.returncode != 0:
            print(f"FAIL {name}: {' '.join(cmd)}: exit {r.returncode}: {r.stderr.strip()[:300]}")
            failed.append(name)
            continue
        with open(os.path.join(out, "infer.json")) as f:
            got = json.load(f)["float_accuracy"]
        ok = abs(got - trained) <= TOLERANCE
        print(f"{'ok  ' if ok else 'FAIL'} {name}: model.onnx float accuracy on {IMAGES} test images "
              f"{100 * got:.2f}%, trained {100 * trained:.2f}% (within {100 * TOLERANCE:.0f} points)")
        if not ok:
            failed.append(name)
    if failed:
        print("failed: " + " ".join(failed))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
