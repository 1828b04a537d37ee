#!/usr/bin/env bash
# check-getting-started.sh GUIDE CC INCLUDE_DIR LIBRARY OUT_DIR [NAME [CALL]]
#
# Extracts the program of docs/getting-started.md (the ```c block after the
# "<!-- getting-started: NAME" marker, NAME first-lrc.c unless given, and
# which must call CALL, lrc_invoke unless given) into OUT_DIR/NAME and
# builds it against the in-tree headers and the built liblrc, as strict C11
# with warnings as errors, so the guide cannot rot. Compile and link only:
# the program is not run (it would need a device).
set -euo pipefail

(($# >= 5 && $# <= 7)) || { echo "usage: $0 GUIDE CC INCLUDE_DIR LIBRARY OUT_DIR [NAME [CALL]]" >&2; exit 2; }
guide=$1 cc=$2 inc=$3 lib=$4 out=$5 name=${6:-first-lrc.c} call=${7:-lrc_invoke}

mkdir -p "$out"
src=$out/$name
bin=$out/${name%.c}
awk -v marker="<!-- getting-started: $name" '
  index($0, marker) == 1                { state = 1; next }
  state == 1 && /^```c[ \t]*$/          { state = 2; next }
  state == 2 && /^```[ \t]*$/           { state = 3; exit }
  state == 2                            { print }
  END { if (state != 3) exit 1 }
' "$guide" >"$src" || { echo "FAIL: no complete \`\`\`c block after the $name marker in $guide" >&2; exit 1; }
n=$(wc -l <"$src")
((n >= 40)) || { echo "FAIL: the extracted program has only $n lines" >&2; exit 1; }
grep -q "$call(" "$src" || { echo "FAIL: the extracted program does not call $call" >&2; exit 1; }

echo "compiling $n lines extracted from $guide"
set -x
"$cc" -std=c11 -Wall -Wextra -Wpedantic -Werror -O2 -pthread -I"$inc" \
  -o "$bin" "$src" "$lib" -Wl,-rpath,"$(dirname "$lib")"
{ set +x; } 2>/dev/null
echo "ok: $bin built"
