#!/usr/bin/env bash
# The folders are the block diagram, with arrows one way: every #include "folder/..." of a
# library folder must name the folder itself or one it is allowed to use (the table below,
# docs/folders.md "Dependencies"). Exit 1 naming the file and the include otherwise.
set -u
cd "${1:?usage: check_layers.sh SOURCE_DIR}"
declare -A allowed=(
  [core]=""
  [chipspec]="core"
  [io]="core chipspec"
  [models]="core io"
  [mapping]="core chipspec io models"
  [engine]="core io models mapping"
  [energy]="core chipspec io"
  [peripherals]="core chipspec"
  [rtl]="core chipspec peripherals"
  [tiles]="core chipspec models mapping peripherals"
  [testbenches]="core chipspec io models mapping engine energy peripherals rtl tiles traces"
  [rramft]="core chipspec io models mapping engine energy peripherals tiles testbenches"
  [traces]="core chipspec io energy peripherals tiles"
  [sweep]="core chipspec io models mapping engine energy"
)
bad=0
for folder in "${!allowed[@]}"; do
  while IFS= read -r hit; do
    file=${hit%%:*}
    dep=$(sed -E 's/.*#include "([a-z_]+)\/.*/\1/' <<<"$hit")
    [ "$dep" = "$folder" ] && continue
    case " ${allowed[$folder]} " in *" $dep "*) continue ;; esac
    echo "$file: includes $dep/, which $folder/ may not use (allowed: ${allowed[$folder]:-nothing})"
    bad=1
  done < <(grep -rnE '^#include "[a-z_]+/' "$folder" --include='*.cpp' --include='*.h')
done
# The functional core and the accuracy engine never see the chip model's keys: none of their files
# includes a header that brings in chipspec/, directly or through other headers (io/arch_file.h,
# mapping/floorplan.h, ...). The headers that do, found as a fixpoint over the include graph:
declare -A chip=()
for h in chipspec/*.h; do chip[$h]=1; done
edges=$(grep -rHoE '^#include "[a-z_]+/[^"]+"' --include='*.h' "${!allowed[@]}" |
  sed -E 's/:#include "(.*)"$/ \1/')
changed=1
while [ "$changed" -eq 1 ]; do
  changed=0
  while read -r file inc; do
    [ -z "${chip[$file]:-}" ] && [ -n "${chip[$inc]:-}" ] && chip[$file]=1 && changed=1
  done <<<"$edges"
done
while IFS= read -r hit; do
  file=${hit%%:*}
  inc=$(sed -E 's/.*#include "([^"]+)".*/\1/' <<<"$hit")
  if [ -n "${chip[$inc]:-}" ]; then
    echo "$file: includes $inc, which brings in the chip model's keys (chipspec/); ${file%%/*}/ never sees them"
    bad=1
  fi
done < <(grep -rnE '^#include "[a-z_]+/' core engine --include='*.cpp' --include='*.h')
# The functional core is plain C++: no SystemC anywhere in it.
if grep -rlE '#include <(systemc|tlm)' core chipspec io models mapping engine energy sweep; then
  echo "the files above include SystemC, which only peripherals/ and what builds on it may use"
  bad=1
fi
exit $bad
