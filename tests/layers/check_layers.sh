#!/usr/bin/env bash
# The folders are the block diagram, with arrows one way: every #include "folder/..." of a
# library folder must name the folder itself or one it is allowed to use (the table below,
# docs/folders.md "Dependencies"). Exit 1 naming the file and the include otherwise.
set -u
cd "${1:?usage: check_layers.sh SOURCE_DIR}"
declare -A allowed=(
  [core]=""
  [io]="core"
  [models]="core io"
  [mapping]="core io models"
  [engine]="core io models mapping"
  [energy]="core io"
  [peripherals]="core"
  [rtl]="core peripherals"
  [tiles]="core models mapping peripherals"
  [testbenches]="core io models mapping engine energy peripherals rtl tiles traces"
  [rramft]="core io models mapping engine energy peripherals tiles testbenches"
  [traces]="core io energy peripherals tiles"
  [sweep]="core io models mapping engine energy"
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
# The functional core is plain C++: no SystemC anywhere in it.
if grep -rlE '#include <(systemc|tlm)' core io models mapping engine energy sweep; then
  echo "the files above include SystemC, which only peripherals/ and what builds on it may use"
  bad=1
fi
exit $bad
