#!/usr/bin/env bash
# The output folder under hostile or careless conditions (issue 17), end to end:
#   1. planted symlinks (the old fixed temporary names, and a result's own name) are never
#      written through;
#   2. runs racing on the same --out: each one either writes its complete results or is refused
#      with one line; the folder always holds one run's results, never a mix;
#   3. a real SIGTERM in the middle of a run: exit 143, one line, previous results intact,
#      nothing left behind;
#   4. a full disk (a 1 MiB tmpfs filled to 64 KiB, where a user namespace allows mounting one): exit 2, one
#      line naming the file, previous results intact, no temporaries.
# usage: hostile_out.sh RRAMFT_BINARY SOURCE_DIR WORK_DIR
set -u
bin=$1 src=$2 work=$3
rm -rf "$work" && mkdir -p "$work"
model="$src/models/zoo/mlp-pruned" arch="$src/configs/default.yaml"
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
# Every entry below a folder, with the content of each file.
state() { (cd "$1" && find . -mindepth 1 | LC_ALL=C sort | while IFS= read -r f; do
  if [ -f "$f" ] && [ ! -L "$f" ]; then echo "$f $(sha256sum <"$f" | cut -c1-16)"; else echo "$f"; fi
done); }
no_leftovers() { # $1 folder: no staging folder, no temporary
  local left
  left=$(find "$1" -name '.rramft-*' -o -name '*.tmp' -o -name '.*.rramft-*' | head -3)
  [ -z "$left" ] || fail "$2: left behind: $left"
}

# 1. Planted symlinks.
out="$work/links"
mkdir -p "$out"
echo precious >"$work/victim"
for n in mapping.json.tmp arch.yaml.tmp occupancy.svg.tmp arch.yaml; do ln -s "$work/victim" "$out/$n"; done
"$bin" map --model "$model" --arch "$arch" --out "$out" >/dev/null 2>"$work/links.err" ||
  fail "symlinks: map failed: $(cat "$work/links.err")"
[ "$(cat "$work/victim")" = precious ] || fail "symlinks: the victim was overwritten"
[ ! -L "$out/arch.yaml" ] && grep -q '^seed:' "$out/arch.yaml" || fail "symlinks: arch.yaml not replaced"
rm "$out"/*.tmp  # the planted links, still pointing at the untouched victim
no_leftovers "$out" symlinks

# 2. Racing runs on one folder: rows 64 and 256 give different mapping.json and arch.yaml.
out="$work/race"
for round in 1 2 3 4 5 6; do
  "$bin" map --model "$model" --arch "$arch" --set crossbar.rows=64 --out "$out" >/dev/null 2>"$work/a.err" &
  a=$!
  "$bin" map --model "$model" --arch "$arch" --set crossbar.rows=256 --out "$out" >/dev/null 2>"$work/b.err" &
  b=$!
  wait $a; ra=$?
  wait $b; rb=$?
  for x in "a $ra" "b $rb"; do
    set -- $x
    if [ "$2" -ne 0 ]; then
      [ "$2" -eq 2 ] && [ "$(wc -l <"$work/$1.err")" -eq 1 ] &&
        grep -q "another rramft run is writing this folder" "$work/$1.err" ||
        fail "race $round: run $1 exit $2: $(cat "$work/$1.err")"
    fi
  done
  [ "$ra" -eq 0 ] || [ "$rb" -eq 0 ] || fail "race $round: both runs refused"
  rows=$(sed -n 's/^  rows: //p' "$out/arch.yaml" | head -1)
  cols=$(sed -n 's/^  cols: //p' "$out/arch.yaml" | head -1)
  cells=$(grep -o '"cells_per_crossbar": [0-9]*' "$out/mapping.json" | grep -o '[0-9]*$')
  [ -n "$rows" ] && [ -n "$cols" ] && [ "$((rows * cols))" = "$cells" ] ||
    fail "race $round: mixed results (arch.yaml $rows x $cols, mapping.json $cells cells)"
  no_leftovers "$out" "race $round"
done

# 3. A real SIGTERM while an evaluation runs, over the results of an earlier one.
out="$work/term"
"$bin" map --model "$model" --arch "$arch" --out "$out" >/dev/null 2>&1
echo "previous" >"$out/accuracy.json"
before=$(state "$out")
"$bin" eval --model "$model" --arch "$arch" --data fashion-mnist:2000 --rates 1e-3,1e-2 \
  --trials 400 --out "$out" >/dev/null 2>"$work/term.err" &
pid=$!
for _ in $(seq 600); do # until it is under way (its first progress line), at most a minute
  [ -s "$work/term.err" ] && break
  sleep 0.1
done
kill -TERM $pid
wait $pid
rc=$?
[ "$rc" -eq 143 ] || fail "SIGTERM: exit status $rc, expected 143: $(cat "$work/term.err")"
tail -1 "$work/term.err" | grep -q "^rramft: interrupted by SIGTERM; no partial results left$" ||
  fail "SIGTERM: last line: $(tail -1 "$work/term.err")"
[ "$(state "$out")" = "$before" ] || fail "SIGTERM: the previous results changed"
no_leftovers "$out" SIGTERM

# 4. A full disk. Mounting a tmpfs needs a user namespace; without one this part is skipped.
if unshare -rm true 2>/dev/null; then
  out="$work/full"
  mkdir -p "$out"
  unshare -rm bash -c '
    mount -t tmpfs -o size=1m none "$1" || exit 77
    "$2" map --model "$3" --arch "$4" --out "$1" >/dev/null 2>&1 || exit 3
    sums=$(cat "$1"/* | sha256sum)
    # Leave 64 KiB free: less than the next results need (occupancy.svg alone is ~200 KiB).
    free=$(df --output=avail -B1 "$1" | tail -1)
    head -c $((free - 65536)) /dev/zero >"$1/filler" 2>/dev/null
    "$2" map --model "$3" --arch "$4" --set crossbar.rows=64 --out "$1" >/dev/null 2>"$5"
    rc=$?
    rm "$1/filler"
    [ "$rc" -eq 2 ] || { echo "full disk: exit $rc: $(cat "$5")"; exit 1; }
    [ "$(wc -l <"$5")" -eq 1 ] && grep -q "No space left on device (nothing was changed)" "$5" ||
      { echo "full disk: message: $(cat "$5")"; exit 1; }
    [ "$(cat "$1"/* | sha256sum)" = "$sums" ] || { echo "full disk: results changed"; exit 1; }
    left=$(find "$1" -name ".rramft-*" | head -1)
    [ -z "$left" ] || { echo "full disk: left $left"; exit 1; }
    exit 0' _ "$out" "$bin" "$model" "$arch" "$work/full.err"
  rc=$?
  [ "$rc" -eq 0 ] || [ "$rc" -eq 77 ] || fail "full disk (status $rc)"
  [ "$rc" -ne 77 ] || echo "note: full-disk part skipped (no tmpfs mount in a user namespace)"
else
  echo "note: full-disk part skipped (no user namespaces)"
fi

[ "$fails" -eq 0 ] && echo "ok: symlinks, races, SIGTERM, full disk"
exit $((fails > 0))
