#!/usr/bin/env bash
# check-snippets.sh DOC CC INCLUDE_DIR LIBRARY[:LIBRARY...] OUT_DIR
#
# Extracts every ```c block that follows a "<!-- snippet: NAME.c -->" marker
# in DOC into OUT_DIR/NAME.c and builds each against the in-tree headers and
# the built liblrc, as strict C11 with warnings as errors, so the examples of
# the docs cannot rot. Several markers of one NAME make one program: their
# blocks are joined in document order (a guide can show a program piece by
# piece, each piece next to the text that explains it). Compile and link
# only: nothing is run. Several libraries (liblrc_server and liblrc) are
# given separated by colons.
set -euo pipefail

(($# == 5)) || { echo "usage: $0 DOC CC INCLUDE_DIR LIBRARY[:LIBRARY...] OUT_DIR" >&2; exit 2; }
doc=$1 cc=$2 inc=$3 out=$5
IFS=: read -r -a libs <<<"$4"
link=()
for lib in "${libs[@]}"; do link+=("$lib" "-Wl,-rpath,$(dirname "$lib")"); done

mkdir -p "$out"
names=$(sed -n 's/^<!-- snippet: \([A-Za-z0-9_-]*\)\.c -->$/\1/p' "$doc" | awk '!seen[$0]++')
[[ -n $names ]] || { echo "FAIL: no snippet markers in $doc" >&2; exit 1; }
for name in $names; do
  src=$out/$name.c
  # state 1: after a marker, waiting for its block; 2: inside the block
  awk -v marker="<!-- snippet: $name.c -->" '
    $0 == marker                      { if (state == 1) exit 1; state = 1; next }
    state == 1 && /^```c[ \t]*$/      { state = 2; next }
    state == 2 && /^```[ \t]*$/       { state = 0; blocks++; next }
    state == 2                        { print }
    END { if (state != 0 || blocks == 0) exit 1 }
  ' "$doc" >"$src" || { echo "FAIL: a $name.c marker without a complete \`\`\`c block after it" >&2; exit 1; }
  echo "compiling $name.c ($(wc -l <"$src") lines) from $doc"
  "$cc" -std=c11 -Wall -Wextra -Wpedantic -Werror -O2 -pthread -I"$inc" \
    -o "$out/$name" "$src" "${link[@]}"
done
echo "ok: $(wc -w <<<"$names") snippets of $doc built"
