#!/usr/bin/env bash
# The BERT-base-shaped model (12 layers, hidden 768, 110 M parameters, random weights, 30% of
# each layer's outputs pruned) through map, eval and run at 128-token sequences: wall time and
# peak memory (GNU time's maximum resident set size) of each command, in OUT/bert_base.md.
#
#   tools/bert_base_sizing.sh
#
# Environment: MODEL=/tmp/bert-base (generated there by models/train/make_bert_base.py when
# absent; about 440 MB, not committed), EVAL_N=2 sequences for eval, RUN_N=1 for run,
# THREADS=2, OUT=docs/results/bert_base. Needs /usr/bin/time (Debian package time).
set -euo pipefail
cd "$(dirname "$0")/.."
B=${RRAMFT:-build/apps/rramft}
MODEL=${MODEL:-/tmp/bert-base}
EVAL_N=${EVAL_N:-2}
RUN_N=${RUN_N:-1}
THREADS=${THREADS:-2}
OUT=${OUT:-docs/results/bert_base}
export SYSTEMC_DISABLE_COPYRIGHT_MESSAGE=1
if [ ! -f "$MODEL/model.safetensors" ]; then
  /usr/bin/python3 -m models.train.make_bert_base --out "$MODEL"
fi
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
mkdir -p "$OUT"
data=$MODEL/tokens.npy,$MODEL/labels.npy
timed() {  # NAME COMMAND...: runs it under GNU time, keeps its stdout and the time report
  local name=$1
  shift
  echo "== $name: $*" >&2
  /usr/bin/time -v -o "$W/$name.time" "$@" >"$W/$name.out"
  cp "$W/$name.out" "$OUT/$name.txt"
  grep -E "Elapsed|Maximum resident|User time|System time" "$W/$name.time" >>"$OUT/$name.txt"
}
timed map "$B" map --model "$MODEL" --arch configs/default.yaml --strict --out "$W/map"
timed eval "$B" eval --model "$MODEL" --arch configs/default.yaml --data "$data:$EVAL_N" \
  --rates 1e-2 --trials 1 --protect none,vote --set fault.scope=msb --threads "$THREADS" \
  --layer-error-images 0 --out "$W/eval"
# A tile of configs/default.yaml holds 96 crossbars, but one row block of the 768 x 3072
# intermediate layers needs 303 (with vote; rramft run says so and stops), and the 55,470
# crossbars need more than 128 tiles: the chip model runs it on larger tiles and more of them.
timed run "$B" run --model "$MODEL" --arch configs/default.yaml --data "$data:$RUN_N" \
  --protect vote --set tiles.crossbars=320 --set tiles.count=1024 --out "$W/run"
cp "$W/eval/accuracy.json" "$OUT/accuracy.json"
cp "$W/run/report.json" "$OUT/report.json"
/usr/bin/python3 - "$OUT" "$EVAL_N" "$RUN_N" <<'EOF'
import json, os, re, sys
out, eval_n, run_n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
rows = ["| command | sequences | wall time | CPU time (user + sys) | peak RSS |", "|---|---|---|---|---|"]
for name, n in (("map", 0), ("eval", eval_n), ("run", run_n)):
    t = open(os.path.join(out, name + ".txt")).read()
    user = float(re.search(r"User time \(seconds\): ([\d.]+)", t).group(1))
    sys_ = float(re.search(r"System time \(seconds\): ([\d.]+)", t).group(1))
    wall = re.search(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): ([\d:.]+)", t).group(1)
    secs = 0.0
    for part in wall.split(":"):
        secs = secs * 60 + float(part)
    rss = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", t).group(1))
    rows.append(f"| {name} | {n or '-'} | {secs:.1f} s | {user + sys_:.1f} s | {rss / 1024 / 1024:.2f} GiB |")
acc = json.load(open(os.path.join(out, "accuracy.json")))
rep = json.load(open(os.path.join(out, "report.json")))
rows += ["", f"eval: {acc['trials']} chip per point, rate 1e-2 (msb), schemes none and vote, "
         f"{acc['images']} sequences; passes over the data: float, fault-free mapped per scheme, "
         "one faulty chip per scheme.",
         f"run (tiles.crossbars=320, tiles.count=1024): {rep['images']} sequence(s); simulated latency {rep['latency_ns_per_image'] / 1e6:.3f} ms "
         f"per sequence, energy {rep['energy_pj']['total'] / rep['images'] / 1e6:.1f} uJ per sequence, "
         f"{rep['crossbars_used']} crossbars; vote against none: energy "
         f"{rep['overhead_vs_none_pct']['energy']:+.2f}%, latency {rep['overhead_vs_none_pct']['latency']:+.2f}%."]
open(os.path.join(out, "bert_base.md"), "w").write("\n".join(rows) + "\n")
print("\n".join(rows))
EOF
