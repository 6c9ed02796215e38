#!/usr/bin/env bash
# Installs the Debian packages rramft needs, only those that are missing.
# Safe to run repeatedly; needs root (or sudo) only when something is missing.
# usage: tools/setup.sh [--fuzz]   (--fuzz: also clang and its fuzzer/sanitizer runtimes)
set -euo pipefail
pkgs=(g++ cmake ninja-build pkg-config
      libsystemc-dev catch2 libboost-dev libboost-program-options-dev
      libboost-mpi-dev libopenmpi-dev openmpi-bin
      libyaml-cpp-dev nlohmann-json3-dev libeigen3-dev libbenchmark-dev
      zlib1g-dev gnuplot-nox python3-numpy python3-torch dataset-fashion-mnist
      fortunes verilator libonnx-dev libprotobuf-dev python3-onnx libzip-dev)
if [ "${1:-}" = "--fuzz" ]; then pkgs+=(clang libclang-rt-14-dev); fi
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "setup: installing ${missing[*]}"
sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
# Another process may hold the dpkg lock for a moment: wait for it instead of failing.
$sudo apt-get -o DPkg::Lock::Timeout=300 update -qq
$sudo apt-get -o DPkg::Lock::Timeout=300 install -y -qq --no-install-recommends "${missing[@]}"
