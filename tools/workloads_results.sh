#!/usr/bin/env bash
# The README's workload results (the paper's experiment on the zoo's residual CNN and language
# transformer): per model, `rramft eval` of none and vote on the same chips at fault.scope=msb
# (the paper's setting, SA0:SA1 1.75:9.04 as in configs/default.yaml) and at fault.scope=all,
# one `rramft run --protect vote` (the chip model, with its baseline without protection on the
# same fault-free chip: energy, latency, area), then tools/workloads_table.py's summary
# (OUT/summary.md, OUT/summary.json).
#
#   tools/workloads_results.sh [MODEL ...]   (default: resnet-pruned bert-pruned)
#
# Sizes (environment): IMAGES=300 (ResNet: the first N Fashion-MNIST test images), TEXTS=1107
# (BERT: the first N of the 1,107 test texts, sorted by class: use all), TRIALS=10 chips per point, RUN_N=1 sample per
# chip-model run, LAYER_ERR=0 (eval's --layer-error-images), THREADS=2, the rates below;
# SCOPES="msb all" (fault scopes to evaluate), NO_RUN= (set: skip the chip-model run);
# RESNET_FORM=onnx (the ResNet's model.onnx) or folder (its config.json + model.safetensors,
# the resnet family: the same numbers bit for bit, layers named by their tensors, e.g. conv1);
# OUT=docs/results/workloads; NICE=nice (NICE= runs at normal priority). The defaults are what
# fitted the README's run on a shared 2-core machine: raise IMAGES / TEXTS on a bigger one.
# Same build, same sizes: the same files (results do not depend on the thread count).
set -euo pipefail
cd "$(dirname "$0")/.."
B=${RRAMFT:-build/apps/rramft}
OUT=${OUT:-docs/results/workloads}
IMAGES=${IMAGES:-300}
TEXTS=${TEXTS:-1107}
TRIALS=${TRIALS:-10}
RUN_N=${RUN_N:-1}
THREADS=${THREADS:-2}
LAYER_ERR=${LAYER_ERR:-0}
NICE=${NICE-nice}
# Failure rates per model and fault scope (where each curve falls: ResNet's unprotected curve
# is down to chance at 1% in the msb scope, the BERT's needs far higher rates).
RESNET_MSB_RATES=${RESNET_MSB_RATES:-1e-3,3e-3,1e-2,3e-2,1e-1,2e-1}
RESNET_ALL_RATES=${RESNET_ALL_RATES:-1e-3,3e-3,1e-2,3e-2}
BERT_MSB_RATES=${BERT_MSB_RATES:-3e-2,1e-1,3e-1,1}
BERT_ALL_RATES=${BERT_ALL_RATES:-3e-3,1e-2,3e-2,1e-1}
export SYSTEMC_DISABLE_COPYRIGHT_MESSAGE=1
models=("$@")
[ ${#models[@]} -eq 0 ] && models=(resnet-pruned bert-pruned)
T=models/text/fortunes
for m in "${models[@]}"; do
  case $m in
    # the ResNet's ONNX graph takes pixel / 255, what rramft feeds it from idx images, and
    # normalises it itself; its folder (RESNET_FORM=folder) normalises the 8-bit pixels as its
    # config.json says
    resnet-*) model=models/zoo/$m/model.onnx data=fashion-mnist:$IMAGES run_data=fashion-mnist:$RUN_N
              if [ "${RESNET_FORM:-onnx}" = folder ]; then model=models/zoo/$m; fi
              msb_rates=$RESNET_MSB_RATES all_rates=$RESNET_ALL_RATES ;;
    bert-*) model=models/zoo/$m data=$T/test_ids.npy,$T/test_labels.npy:$TEXTS
            run_data=$T/test_ids.npy,$T/test_labels.npy:$RUN_N
            msb_rates=$BERT_MSB_RATES all_rates=$BERT_ALL_RATES ;;
    *) echo "workloads_results.sh: unknown model '$m' (resnet-* or bert-*)" >&2; exit 2 ;;
  esac
  mkdir -p "$OUT/$m"
  for scope in ${SCOPES:-msb all}; do
    rates=$msb_rates
    [ $scope = all ] && rates=$all_rates
    echo "== $m: eval, fault.scope=$scope" >&2
    rm -rf "$OUT/$m/$scope"
    start=$(date +%s)
    $NICE "$B" eval --model "$model" --arch configs/default.yaml --data "$data" --trials "$TRIALS" \
      --rates "$rates" --protect none,vote --set fault.scope=$scope --threads "$THREADS" \
      --layer-error-images "$LAYER_ERR" --out "$OUT/$m/$scope" >"$OUT/$m/eval_$scope.txt"
    echo "$(($(date +%s) - start)) s" >"$OUT/$m/eval_$scope.seconds"
    mv "$OUT/$m/eval_$scope.txt" "$OUT/$m/eval_$scope.seconds" "$OUT/$m/$scope/"
  done
  [ -n "${NO_RUN:-}" ] && continue
  echo "== $m: run --protect vote" >&2
  rm -rf "$OUT/$m/run_vote"
  $NICE "$B" run --model "$model" --arch configs/default.yaml --data "$run_data" --protect vote \
    --out "$OUT/$m/run_vote" >"$OUT/$m/run_vote.txt"
  mv "$OUT/$m/run_vote.txt" "$OUT/$m/run_vote/run.txt"
  rm -f "$OUT/$m/run_vote"/energy.png "$OUT/$m/run_vote"/energy.gp "$OUT/$m/run_vote"/energy_layers.csv
done
/usr/bin/python3 tools/workloads_table.py --out "$OUT" "${models[@]}"
