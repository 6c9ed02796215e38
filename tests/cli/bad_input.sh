#!/usr/bin/env bash
# One case of the bad-input catalogue (tests/bad_inputs/<case>/): runs rramft with the case's
# arguments and checks a non-zero exit below 128 (not a signal, not a timeout, not a sanitizer
# report), exactly one line on stderr, starting "rramft: error: " and containing the case's
# `expect` text, and that the run changed nothing in the output folder: no file added, removed
# or changed (nothing half-written, no temporary or staging folder left behind, the previous
# results a `setup` put there intact).
# A case folder holds:
#   expect   the text the one-line error must contain (required); @CASE@ is the case folder
#   args     rramft's arguments (default: map --model @CASE@/model --arch default.yaml --out @OUT@);
#            @CASE@ is the case folder, @SRC@ the source tree, @OUT@ the output folder
#   env      optional: VAR=value lines exported for the run
#   setup    optional: bash run first with OUT, CASE and SRC set (e.g. to put a file in the way)
#   teardown optional: bash run last, with the same variables (e.g. to end what setup started)
#   limits   optional: ulimit options for the run, e.g. "-f 2" (a file size limit: a full disk)
#   status   optional: the exit status expected instead of 1..127: 2 for bad input, or e.g. 143
#            for SIGTERM, when the line on stderr must start "rramft: " (an interruption is not
#            an error)
#   progress optional: a grep -E pattern; stderr lines before the last one that match it are
#            progress reports of a run that failed late (eval), not part of the error
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
expect=${expect//@CASE@/$case_dir}
teardown() {
  if [ -f "$case_dir/teardown" ]; then OUT=$out CASE=$case_dir SRC=$src bash "$case_dir/teardown"; fi
}
fail() {
  echo "FAIL $(basename "$case_dir"): $*"; echo "--- stderr:"; cat "$work/stderr" 2>/dev/null
  teardown; exit 1
}
if [ -f "$case_dir/setup" ]; then
  OUT=$out CASE=$case_dir SRC=$src bash -e "$case_dir/setup" || fail "setup failed"
fi
# Every entry under the output folder (hidden ones, folders and links too) with its content.
state() {
  [ -e "$out" ] || return 0
  (cd "$out" && find . -mindepth 1 | LC_ALL=C sort | while IFS= read -r f; do
    if [ -f "$f" ] && [ ! -L "$f" ]; then echo "$f $(sha256sum <"$f" | cut -c1-16)"; else echo "$f"; fi
  done)
}
before=$(state)
(
  if [ -f "$case_dir/env" ]; then
    while IFS= read -r line; do [ -n "$line" ] && export "${line?}"; done <"$case_dir/env"
  fi
  if [ -f "$case_dir/limits" ]; then
    # shellcheck disable=SC2046
    ulimit $(cat "$case_dir/limits") || exit 125
  fi
  # shellcheck disable=SC2086
  exec timeout 120 "$bin" $args >"$work/stdout" 2>"$work/stderr"
)
rc=$?
want=""
[ -f "$case_dir/status" ] && want=$(cat "$case_dir/status")
[ "$rc" -ne 125 ] || fail "the limits could not be set"
[ "$rc" -ne 124 ] || fail "timed out"
[ "$rc" -ne 86 ] || fail "sanitizer report (exit status 86)"
if [ -n "$want" ]; then
  [ "$rc" -eq "$want" ] || fail "exit status $rc, expected $want"
  prefix="rramft: "
  [ "$want" -ge 128 ] || prefix="rramft: error: "
else
  [ "$rc" -ne 0 ] || fail "exit status 0"
  [ "$rc" -lt 128 ] || fail "exit status $rc (crash or signal)"
  prefix="rramft: error: "
fi
if [ -f "$case_dir/progress" ]; then
  head -n -1 "$work/stderr" | grep -vqE -- "$(cat "$case_dir/progress")" &&
    fail "stderr has lines before the error that are not progress reports"
  tail -1 "$work/stderr" >"$work/stderr.last" && mv "$work/stderr.last" "$work/stderr"
fi
lines=$(wc -l <"$work/stderr")
[ "$lines" -eq 1 ] || fail "stderr has $lines lines, expected 1"
grep -q "^$prefix" "$work/stderr" || fail "stderr does not start with '$prefix'"
grep -qF -- "$expect" "$work/stderr" || fail "stderr lacks: $expect"
after=$(state)
[ "$before" = "$after" ] ||
  fail "the run changed the output folder: $(diff <(echo "$before") <(echo "$after") | grep '^[<>]' | tr '\n' ' ')"
teardown
echo "ok $(basename "$case_dir"): $(cat "$work/stderr")"
