#!/usr/bin/env bash
# Builds the libFuzzer targets of fuzz/ with clang (build-fuzz/, ASan + UBSan) and runs each
# for SECONDS (default 30). A crash stops the script with the input under
# build-fuzz/artifacts/TARGET/; fix the parser, then keep the input as a regression test:
# copy it into fuzz/regressions/TARGET/ (ctest's fuzz_replay:TARGET runs it from then on).
# usage: tools/fuzz.sh [SECONDS] [TARGET...]     e.g. tools/fuzz.sh 3600 model   (a long run)
# Extra libFuzzer flags: FUZZ_FLAGS="-jobs=2 -workers=2" tools/fuzz.sh 3600
# FUZZ_SEED=N fixes libFuzzer's random seed (CI: 1, so that a CI run explores the same inputs
# each time and a finding can be reproduced); unset, every run explores new ones.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-30}
shift || true
tools/setup.sh --fuzz
cmake -S . -B build-fuzz -G Ninja -DCMAKE_CXX_COMPILER=clang++ -DRRAMFT_FUZZ=ON \
  -DRRAMFT_TESTS=OFF -DRRAMFT_BENCH=OFF -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g" >/dev/null
cmake --build build-fuzz -j "$(nproc)" --target fuzz
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  for f in build-fuzz/fuzz/fuzz_*; do targets+=("$(basename "$f" | sed 's/^fuzz_//')"); done
fi
for t in "${targets[@]}"; do
  corpus=build-fuzz/corpus/$t      # grows from run to run; the seeds stay in fuzz/corpus/$t
  artifacts=build-fuzz/artifacts/$t/
  mkdir -p "$corpus" "$artifacts"
  dict=()
  [ -f "fuzz/dicts/$t.dict" ] && dict=(-dict="fuzz/dicts/$t.dict")
  echo "fuzz: $t for ${seconds}s"
  # Limits: 10 s per input is a hang; 2 GiB of memory or a single 1 GiB allocation is a bug.
  # shellcheck disable=SC2086
  if ! build-fuzz/fuzz/fuzz_"$t" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
      -malloc_limit_mb=1024 -print_final_stats=1 -seed="${FUZZ_SEED:-0}" \
      -artifact_prefix="$artifacts" "${dict[@]}" \
      ${FUZZ_FLAGS:-} "$corpus" "fuzz/corpus/$t" >"build-fuzz/$t.log" 2>&1; then
    tail -n 60 "build-fuzz/$t.log"
    echo "fuzz: $t FAILED; input(s) in $artifacts (log build-fuzz/$t.log)"
    exit 1
  fi
  grep -E "^stat::number_of_executed_units|^stat::new_units_added" "build-fuzz/$t.log" |
    tr '\n' ' ' | sed "s/^/fuzz: $t ok: /"
  echo
done
