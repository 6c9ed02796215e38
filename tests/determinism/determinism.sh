#!/usr/bin/env bash
# Same seed, same result, bit for bit: runs `rramft map`, `eval` and `run` with fixed seeds
# and compares their result files byte for byte between
#   threads:     two runs with 1 thread and one run with 2 threads (OMP_NUM_THREADS, --threads)
#   build_types: this build (1 thread) against another build's rramft (2 threads), e.g. the
#                Debug sanitizer build against the Release build
# Compared: mapping.json, occupancy.svg, arch.yaml (map); accuracy.json, accuracy.csv (eval,
# once on the fast path, once on the bit-serial path with a lossy ADC); report.json and arch.yaml
# (run: every key of both tables, the chip model's included, as the chip was built).
# Every successful run must also leave no temporary file behind.
# usage: determinism.sh threads SRC WORK RRAMFT
#        determinism.sh build_types SRC WORK RRAMFT OTHER_RRAMFT
set -euo pipefail
mode=$1 src=$2 work=$3 bin=$4 other=${5:-}
rm -rf "$work" && mkdir -p "$work"
export SYSTEMC_DISABLE_COPYRIGHT_MESSAGE=1

# jobs BINARY THREADS OUT: every job once, results under OUT/<job>/.
jobs() {
  local b=$1 t=$2 out=$3 zoo=$src/models/zoo arch=$src/configs/default.yaml
  export OMP_NUM_THREADS=$t
  "$b" map --model "$zoo/vit-pruned" --arch "$arch" --set fault.rate=0.01 --set seed=7 \
    --out "$out/map" >"$out.map.log" 2>&1
  "$b" eval --model "$zoo/mlp-pruned" --arch "$arch" --data fashion-mnist:200 --rates 0.01,0.1 \
    --trials 2 --protect none,vote,tmr --batch 50 --set fault.transient_rate=1e-4 --set seed=11 \
    --out "$out/eval_fast" >"$out.eval_fast.log" 2>&1
  "$b" eval --model "$zoo/lenet5-pruned" --arch "$arch" --data fashion-mnist:12 --rates 0.02 \
    --trials 1 --protect vote --batch 4 --set adc.bits=6 --set seed=5 --set fault.transient_rate=1e-3 \
    --out "$out/eval_serial" >"$out.eval_serial.log" 2>&1
  "$b" run --model "$zoo/lenet5-pruned" --arch "$arch" --data fashion-mnist:2 --fault-rate 1e-3 \
    --seed 3 --protect vote --threads "$t" --set fault.transient_rate=1e-3 --out "$out/run" \
    >"$out.run.log" 2>&1
  local left
  left=$(find "$out" -name '*.tmp*')
  [ -z "$left" ] || { echo "FAIL: temporary files left behind: $left"; exit 1; }
}

compare() {
  local a=$1 b=$2 what=$3 bad=0
  for f in map/mapping.json map/occupancy.svg map/arch.yaml eval_fast/accuracy.json \
    eval_fast/accuracy.csv eval_serial/accuracy.json eval_serial/accuracy.csv run/report.json \
    run/arch.yaml; do
    [ -s "$a/$f" ] || { echo "FAIL: $a/$f missing"; exit 1; }
    if cmp -s "$a/$f" "$b/$f"; then
      echo "same: $f ($what)"
    else
      echo "FAIL: $f differs ($what):"
      diff "$a/$f" "$b/$f" | head -n 10
      bad=1
    fi
  done
  [ "$bad" -eq 0 ] || exit 1
}

case $mode in
  threads)
    jobs "$bin" 1 "$work/t1a"
    jobs "$bin" 1 "$work/t1b"
    jobs "$bin" 2 "$work/t2"
    compare "$work/t1a" "$work/t1b" "two runs, 1 thread"
    compare "$work/t1a" "$work/t2" "1 thread against 2 threads"
    ;;
  build_types)
    [ -x "$other" ] || { echo "FAIL: no other build's rramft at '$other'"; exit 1; }
    jobs "$bin" 1 "$work/this"
    jobs "$other" 2 "$work/other"
    compare "$work/this" "$work/other" "$bin (1 thread) against $other (2 threads)"
    ;;
  *)
    echo "usage: determinism.sh threads|build_types SRC WORK RRAMFT [OTHER_RRAMFT]"
    exit 2
    ;;
esac
