#!/usr/bin/env bash
# One case of the bad-input catalogue (tests/bad_inputs/<case>/): runs rramft with the case's
# arguments and checks a non-zero exit below 128 (not a signal, not a timeout, not a sanitizer
# report), exactly one line on stderr, starting "rramft: error: " and containing the case's
# `expect` text, and that the run added no file to the output folder (nothing half-written,
# no temporary file left behind).
# A case folder holds:
#   expect   the text the one-line error must contain (required)
#   args     rramft's arguments (default: map --model @CASE@/model --arch default.yaml --out @OUT@);
#            @CASE@ is the case folder, @SRC@ the source tree, @OUT@ the output folder
#   env      optional: VAR=value lines exported for the run
#   setup    optional: bash run first with OUT, CASE and SRC set (e.g. to put a file in the way)
#   anything else the arguments name (model/, data/, arch.yaml, ...)
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
fail() { echo "FAIL $(basename "$case_dir"): $*"; echo "--- stderr:"; cat "$work/stderr" 2>/dev/null; exit 1; }
if [ -f "$case_dir/setup" ]; then
  OUT=$out CASE=$case_dir SRC=$src bash -e "$case_dir/setup" || fail "setup failed"
fi
files_before=$( (find "$out" -type f 2>/dev/null || true) | sort)
(
  if [ -f "$case_dir/env" ]; then
    while IFS= read -r line; do [ -n "$line" ] && export "${line?}"; done <"$case_dir/env"
  fi
  # shellcheck disable=SC2086
  exec timeout 120 "$bin" $args >"$work/stdout" 2>"$work/stderr"
)
rc=$?
[ "$rc" -ne 0 ] || fail "exit status 0"
[ "$rc" -ne 124 ] || fail "timed out"
[ "$rc" -ne 86 ] || fail "sanitizer report (exit status 86)"
[ "$rc" -lt 128 ] || fail "exit status $rc (crash or signal)"
lines=$(wc -l <"$work/stderr")
[ "$lines" -eq 1 ] || fail "stderr has $lines lines, expected 1"
grep -q "^rramft: error: " "$work/stderr" || fail "stderr does not start with 'rramft: error: '"
grep -qF -- "$expect" "$work/stderr" || fail "stderr lacks: $expect"
files_after=$( (find "$out" -type f 2>/dev/null || true) | sort)
[ "$files_before" = "$files_after" ] ||
  fail "the run left files in the output folder: $(comm -13 <(echo "$files_before") <(echo "$files_after") | tr '\n' ' ')"
echo "ok $(basename "$case_dir"): $(cat "$work/stderr")"
