#!/usr/bin/env bash
# Configures and builds rramft in build/ (Release). Used by demo.sh and test.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
tools/setup.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release "$@" >/dev/null
cmake --build build -j "$(nproc)"
