#!/usr/bin/env bash
# One case of the bad-input catalogue (tests/bad_inputs/<case>/): runs rramft with the case's
# arguments and checks a non-zero exit below 128, exactly one line on stderr that contains the
# case's `expect` text, and that the output folder holds no file (nothing half-written).
# usage: bad_input.sh CASE_DIR RRAMFT_BINARY SOURCE_DIR WORK_DIR
set -u
case_dir=$1 bin=$2 src=$3 work=$4
rm -rf "$work" && mkdir -p "$work"
out="$work/out"
if [ -f "$case_dir/args" ]; then
  args=$(cat "$case_dir/args")
else
  args="map --model @CASE@/model --arch @SRC@/configs/default.yaml --out @OUT@"
fi
args=${args//@CASE@/$case_dir}
args=${args//@SRC@/$src}
args=${args//@OUT@/$out}
expect=$(cat "$case_dir/expect")
# shellcheck disable=SC2086
timeout 120 "$bin" $args >"$work/stdout" 2>"$work/stderr"
rc=$?
fail() { echo "FAIL $(basename "$case_dir"): $*"; echo "--- stderr:"; cat "$work/stderr"; exit 1; }
[ "$rc" -ne 0 ] || fail "exit status 0"
[ "$rc" -lt 128 ] || fail "exit status $rc (crash or signal)"
[ "$rc" -ne 124 ] || fail "timed out"
lines=$(wc -l <"$work/stderr")
[ "$lines" -eq 1 ] || fail "stderr has $lines lines, expected 1"
grep -qF -- "$expect" "$work/stderr" || fail "stderr lacks: $expect"
grep -q "^rramft: error: " "$work/stderr" || fail "stderr does not start with 'rramft: error: '"
if [ -d "$out" ] && [ -n "$(find "$out" -type f)" ]; then fail "left files in the output folder: $(find "$out" -type f)"; fi
echo "ok $(basename "$case_dir"): $(cat "$work/stderr")"
