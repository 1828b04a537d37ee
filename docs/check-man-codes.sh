#!/usr/bin/env bash
# check-man-codes.sh MANPAGE CLI_SOURCE_DIR
#
# Every JSON error code the `lrc` tool diagnoses itself (the "LRC_E..."
# string literals of diagnose.c) must be listed in the manual page, where
# scripts look them up.
set -euo pipefail
(($# == 2)) || { echo "usage: $0 MANPAGE CLI_SOURCE_DIR" >&2; exit 2; }
page=$1 src=$2
codes=$(grep -o '"LRC_E[A-Z]*"' "$src/diagnose.c" | tr -d '"' | sort -u)
[[ -n $codes ]] || { echo "FAIL: no codes found in $src/diagnose.c" >&2; exit 1; }
status=0
for c in $codes; do
  grep -q "^\.B $c\$" "$page" || { echo "FAIL: $c is not listed in $page" >&2; status=1; }
done
((status != 0)) || echo "ok: $(wc -w <<<"$codes") codes listed in $page"
exit $status
