#!/usr/bin/env bash
# One command on a fresh machine: install what is missing, build, and run the main job on
# the shipped defaults (map the shipped pruned model onto the default chip).
set -euo pipefail
cd "$(dirname "$0")/.."
tools/build.sh
export SYSTEMC_DISABLE_COPYRIGHT_MESSAGE=1
build/apps/rramft map --model models/zoo/mlp-pruned --arch configs/default.yaml --out out/demo
