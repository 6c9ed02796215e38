#!/usr/bin/env bash
# usage: test_install.sh BUILD_DIR SOURCE_DIR WORK_DIR
set -euo pipefail
build=$1 src=$2 work=$3
rm -rf "$work" && mkdir -p "$work"
prefix=$work/prefix
cmake --install "$build" --prefix "$prefix" >"$work/install.log"
for f in bin/rramft include/rramft/rramft/chip.h include/rramft/core/spec.h \
         lib/cmake/rramft/rramftConfig.cmake lib/pkgconfig/rramft.pc \
         share/rramft/configs/default.yaml lib/librramft_core.a lib/librramft_chip.a; do
  [ -e "$prefix/$f" ] || { echo "not installed: $f"; exit 1; }
done

# The virtual platform, out of tree, against the installed package only.
cmake -S "$src/examples/virtual_platform" -B "$work/vp" -G Ninja -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_PREFIX_PATH="$prefix" >"$work/vp-configure.log"
cmake --build "$work/vp" >"$work/vp-build.log"

export SYSTEMC_DISABLE_COPYRIGHT_MESSAGE=1
model=$src/models/zoo/lenet5-pruned
arch=$prefix/share/rramft/configs/default.yaml
data=fashion-mnist:12
"$work/vp/vp" --model "$model" --arch "$arch" --data "$data" --set fault.rate=0.002 \
  --out "$work/vp.txt"
"$prefix/bin/rramft" run --model "$model" --arch "$arch" --data "$data" --fault-rate 0.002 \
  --out "$work/run" >/dev/null
python3 - "$work/run/report.json" "$work/vp.txt" <<'PY'
import json, sys
run = json.load(open(sys.argv[1]))["predicted"]
vp = [int(l) for l in open(sys.argv[2])]
assert len(vp) == 12 and vp == run, f"virtual platform {vp} != rramft run {run}"
print("virtual platform == rramft run:", vp)
PY

# pkg-config alone: compile and link a program that builds a chip's mapping.
cat >"$work/pc.cpp" <<'CPP'
#include <iostream>
#include <rramft/chip.h>
int sc_main(int argc, char** argv) {
  const auto a = rramft::load_arch(argv[1]);
  auto data = rramft::models::load_dataset("fashion-mnist:2");
  const auto s = rramft::prepare_chip(argv[2], a, data, "fashion-mnist:2");
  std::cout << s->chip.cm.crossbars_used() << "\n";
  return 0;
}
CPP
export PKG_CONFIG_PATH=$prefix/lib/pkgconfig
pkg-config --exists rramft || { echo "pkg-config does not find rramft"; exit 1; }
# shellcheck disable=SC2046
g++ -O1 -o "$work/pc" "$work/pc.cpp" $(pkg-config --cflags rramft) \
  $(pkg-config --libs --static rramft)
n=$("$work/pc" "$arch" "$model")
"$prefix/bin/rramft" map --model "$model" --arch "$arch" --out "$work/map" >/dev/null
m=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['crossbars_used'])" \
    "$work/map/mapping.json")
echo "pkg-config program: $n crossbars, rramft map: $m"
[ "$n" = "$m" ]
