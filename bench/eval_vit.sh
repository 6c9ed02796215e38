#!/usr/bin/env bash
# Benchmark (not a test): the issue-3 workload, a full eval of the pruned ViT over the 10,000
# Fashion-MNIST test images, 8 rates x 10 trials x 2 schemes (none, vote) in the paper's
# setting (fault.scope msb). Prints the wall time.
# Usage: bench/eval_vit.sh [BUILD_DIR [more rramft eval options, e.g. --set adc.bits=6]]
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
shift || true
out=$(mktemp -d)
start=$(date +%s.%N)
"$build/apps/rramft" eval --model models/zoo/vit-pruned --arch configs/default.yaml --data fashion-mnist \
  --batch 250 --rates 1e-4,2.5e-4,5e-4,7.5e-4,1e-3,2.5e-3,5e-3,1e-2 --trials 10 --protect none,vote \
  --set fault.scope=msb --out "$out" "$@" 2>/dev/null | tail -3
end=$(date +%s.%N)
echo "wall seconds: $(echo "$end - $start" | bc)"
rm -rf "$out"
