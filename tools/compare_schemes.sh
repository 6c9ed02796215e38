#!/usr/bin/env bash
# The comparison of protection schemes in docs/schemes.md ("Comparing the schemes"): for every model,
# one `rramft eval` over all schemes on the same chips (accuracy under stuck-at faults) and one
# `rramft run` per scheme on a fault-free chip (energy, latency and area against none); then
# tools/schemes_table.py builds the table (CSV, Markdown) and the plot.
#
#   tools/compare_schemes.sh [MODEL ...]    (default: lenet5-pruned vit-pruned, plus the
#                                            SAM-trained variants models/zoo/*-pruned-sam present)
# Sizes (environment): IMAGES=2000 test images, TRIALS=5 chips per point, RUN_IMAGES=10 images
# per chip-model run, RATE=0.01 for AccurateLatency; OUT=docs/results/schemes. Runs under nice.
set -euo pipefail
cd "$(dirname "$0")/.."
B=build/apps/rramft
OUT=${OUT:-docs/results/schemes}
IMAGES=${IMAGES:-2000}
TRIALS=${TRIALS:-5}
RUN_IMAGES=${RUN_IMAGES:-10}
RATE=${RATE:-0.01}
RATES=1e-3,2e-3,5e-3,1e-2,2e-2,5e-2,1e-1,2e-1
SCHEMES=none,vote,tmr,range,vote+range,clip,clip+vote
CLIP=(--set quant.clip=sigma --set quant.clip_value=3)  # range restriction of `clip` schemes
export SYSTEMC_DISABLE_COPYRIGHT_MESSAGE=1
mkdir -p "$OUT"
models=("$@")
if [ ${#models[@]} -eq 0 ]; then
  models=(lenet5-pruned vit-pruned)
  for d in models/zoo/*-pruned-sam; do [ -d "$d" ] && models+=("$(basename "$d")"); done
fi
for m in "${models[@]}"; do
  dir=$OUT/$m
  echo "== $m: eval" >&2
  nice build/apps/rramft eval --model "models/zoo/$m" --arch configs/default.yaml \
    --data "fashion-mnist:$IMAGES" --trials "$TRIALS" --rates "$RATES" --protect "$SCHEMES" \
    "${CLIP[@]}" --out "$dir" >"$dir.eval.txt"
  mv "$dir.eval.txt" "$dir/eval.txt"
  for s in ${SCHEMES//,/ }; do
    echo "== $m: run $s" >&2
    clip=()
    case "+$s+" in *+clip+*) clip=("${CLIP[@]}") ;; esac
    nice $B run --model "models/zoo/$m" --arch configs/default.yaml --data "fashion-mnist:$RUN_IMAGES" \
      --protect "$s" "${clip[@]}" --out "$dir/run_$s" >"$dir/run_$s.txt"
    mv "$dir/run_$s.txt" "$dir/run_$s/run.txt"
    rm -f "$dir/run_$s"/energy.png "$dir/run_$s"/energy.gp "$dir/run_$s"/energy_layers.csv
  done
done
/usr/bin/python3 tools/schemes_table.py --out "$OUT" --rate "$RATE" "${models[@]}"
