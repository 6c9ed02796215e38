#!/usr/bin/env bash
# Installs the Debian packages rramft needs, only those that are missing.
# Safe to run repeatedly; needs root (or sudo) only when something is missing. When everything
# is installed it prints one line and returns at once (CI calls it before every step).
# One line per step on stdout; apt's own output goes to a log file, whose path and last lines
# are printed when a step fails.
# usage: tools/setup.sh [--fuzz]   (--fuzz: also clang and its fuzzer/sanitizer runtimes)
set -euo pipefail
pkgs=(g++ cmake ninja-build pkg-config
      libsystemc-dev catch2 libboost-dev libboost-program-options-dev
      libboost-mpi-dev libopenmpi-dev openmpi-bin
      libyaml-cpp-dev nlohmann-json3-dev libeigen3-dev libbenchmark-dev
      zlib1g-dev gnuplot-nox python3-numpy python3-torch dataset-fashion-mnist
      fortunes verilator libonnx-dev libprotobuf-dev python3-onnx libzip-dev
      python3-dev pybind11-dev python3-pybind11 python3-pytest)
if [ "${1:-}" = "--fuzz" ]; then pkgs+=(clang libclang-rt-14-dev); fi
# One dpkg-query for all of them (fast when nothing is missing); unknown names print nothing.
installed=" $(dpkg-query -W -f='${Package}:${Status} ' "${pkgs[@]}" 2>/dev/null || true) "
missing=()
for p in "${pkgs[@]}"; do
  [[ "$installed" == *" $p:install ok installed "* ]] || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "setup: all ${#pkgs[@]} packages installed"
  exit 0
fi
sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
log="${TMPDIR:-/tmp}/rramft-setup.$$.log"
: >"$log"
# step NAME COMMAND...: one line saying what runs; its output goes to the log; on failure, the
# log's path and its last lines, and exit status 1.
step() {
  local name=$1
  shift
  echo "setup: $name"
  if ! "$@" >>"$log" 2>&1; then
    echo "setup: error: $name failed; apt's output is in $log; its last lines:" >&2
    tail -n 15 "$log" | sed 's/^/  /' >&2
    exit 1
  fi
}
# Another process may hold the dpkg lock for a moment: wait for it instead of failing.
step "updating the package lists (apt-get update)" \
  $sudo apt-get -o DPkg::Lock::Timeout=300 update
step "installing ${#missing[@]} package(s): ${missing[*]}" \
  $sudo apt-get -o DPkg::Lock::Timeout=300 install -y --no-install-recommends "${missing[@]}"
rm -f "$log"
echo "setup: done"
