#!/usr/bin/env bash
# check-man.sh MANPAGE...
#
# Renders each manual page as man(1) does (groff with the man macros), for
# UTF-8 and for plain ASCII terminals, at man's default line length and at a
# narrow one, with every groff warning enabled (-ww), and fails on any
# warning or error. A missing groff is a failure too: install groff-base
# (scripts/setup-deps does).
set -euo pipefail

(($# >= 1)) || { echo "usage: $0 MANPAGE..." >&2; exit 2; }
command -v groff >/dev/null ||
  { echo "FAIL: groff not found: install groff-base (scripts/setup-deps)" >&2; exit 1; }

err=$(mktemp)
trap 'rm -f "$err"' EXIT
status=0
for page in "$@"; do
  [[ -s $page ]] || { echo "FAIL: $page is missing or empty" >&2; status=1; continue; }
  for dev in utf8 ascii; do
    for width in 78 60; do   # man's default line length, and a narrow terminal
      if ! LC_ALL=C.UTF-8 groff -man -T"$dev" -ww -rLL=${width}n -z "$page" 2>"$err" ||
         [[ -s $err ]]; then
        echo "FAIL: $page (groff -T$dev, $width columns):" >&2
        cat "$err" >&2
        status=1
      fi
    done
  done
  lines=$(LC_ALL=C.UTF-8 groff -man -Tutf8 "$page" 2>/dev/null | wc -l)
  ((lines >= 50)) || { echo "FAIL: $page renders to only $lines lines" >&2; status=1; }
  ((status != 0)) || echo "ok: $page renders without warnings ($lines lines)"
done
exit $status
