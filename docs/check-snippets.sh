#!/usr/bin/env bash
# check-snippets.sh DOC CC INCLUDE_DIR LIBRARY OUT_DIR
#
# Extracts every ```c block that follows a "<!-- snippet: NAME.c -->" marker
# in DOC into OUT_DIR/NAME.c and builds each against the in-tree headers and
# the built liblrc, as strict C11 with warnings as errors, so the examples of
# the docs cannot rot. Compile and link only: nothing is run.
set -euo pipefail

(($# == 5)) || { echo "usage: $0 DOC CC INCLUDE_DIR LIBRARY OUT_DIR" >&2; exit 2; }
doc=$1 cc=$2 inc=$3 lib=$4 out=$5

mkdir -p "$out"
names=$(sed -n 's/^<!-- snippet: \([A-Za-z0-9_-]*\)\.c -->$/\1/p' "$doc")
[[ -n $names ]] || { echo "FAIL: no snippet markers in $doc" >&2; exit 1; }
for name in $names; do
  src=$out/$name.c
  awk -v marker="<!-- snippet: $name.c -->" '
    $0 == marker                      { state = 1; next }
    state == 1 && /^```c[ \t]*$/      { state = 2; next }
    state == 2 && /^```[ \t]*$/       { state = 3; exit }
    state == 2                        { print }
    END { if (state != 3) exit 1 }
  ' "$doc" >"$src" || { echo "FAIL: no complete \`\`\`c block after the $name.c marker" >&2; exit 1; }
  echo "compiling $name.c ($(wc -l <"$src") lines) from $doc"
  "$cc" -std=c11 -Wall -Wextra -Wpedantic -Werror -O2 -pthread -I"$inc" \
    -o "$out/$name" "$src" "$lib" -Wl,-rpath,"$(dirname "$lib")"
done
echo "ok: $(wc -w <<<"$names") snippets of $doc built"
