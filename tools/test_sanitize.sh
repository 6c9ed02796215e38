#!/usr/bin/env bash
# The whole test suite under AddressSanitizer and UndefinedBehaviorSanitizer, in a Debug build
# (build-asan/). Any sanitizer report fails the test that triggered it (exit status 86).
# usage: tools/test_sanitize.sh [ctest arguments...]
set -euo pipefail
cd "$(dirname "$0")/.."
tools/setup.sh
# With a Release build in build/ (tools/test.sh), determinism:build_types compares the results
# of both builds file by file.
compare=()
[ -x build/apps/rramft ] && compare=(-DRRAMFT_COMPARE_BUILD="$PWD/build/apps/rramft")
cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=Debug -DRRAMFT_SANITIZE=address,undefined \
  -DRRAMFT_BENCH=OFF "${compare[@]}" >/dev/null
cmake --build build-asan -j "$(nproc)"
export SYSTEMC_DISABLE_COPYRIGHT_MESSAGE=1
ctest --test-dir build-asan --output-on-failure -j "$(nproc)" "$@"
