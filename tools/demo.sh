#!/usr/bin/env bash
# One command on a fresh machine: install what is missing, build, and run the main job on the
# shipped defaults: the trained pruned ViT on the default (ISAAC-like) chip with the paper's
# protection (flip + 3 copies of the MSB plane + median vote):
#   1. map it and print the mapping summary (storage overhead, per-layer sparsity);
#   2. accuracy under stuck-at faults, with and without voting (1,000 test images, 5 chips);
#   3. the SystemC/TLM-2.0 chip model on 20 images: cycles, energy, overhead of the scheme.
# Results go to out/demo/{map,eval,run}. About a minute after the build on 2 cores.
set -euo pipefail
cd "$(dirname "$0")/.."
tools/build.sh
export SYSTEMC_DISABLE_COPYRIGHT_MESSAGE=1
model=models/zoo/vit-pruned
arch=configs/default.yaml
echo "== 1. rramft map: $model on $arch"
build/apps/rramft map --model "$model" --arch "$arch" --out out/demo/map
echo
echo "== 2. rramft eval: accuracy under faults (fault.scope=msb, the paper's experiment)"
build/apps/rramft eval --model "$model" --arch "$arch" --data fashion-mnist:1000 \
  --rates 1e-3,5e-3,1e-2,2e-2 --trials 5 --protect none,vote --set fault.scope=msb \
  --out out/demo/eval 2>/dev/null
echo
echo "== 3. rramft run: the chip model, 20 images, fault rate 1e-3"
build/apps/rramft run --model "$model" --arch "$arch" --data fashion-mnist:20 \
  --fault-rate 1e-3 --out out/demo/run
