#!/usr/bin/env bash
# One command on a fresh machine: install what is missing, build, and run every test (ctest).
set -euo pipefail
cd "$(dirname "$0")/.."
tools/build.sh
export SYSTEMC_DISABLE_COPYRIGHT_MESSAGE=1
ctest --test-dir build --output-on-failure -j "$(nproc)" "$@"
