#!/usr/bin/env bash
# check-device-guide-run.sh GUIDE HELLO_DEVICE LRC_TOOL
#
# Runs the first program of docs/device-guide.md (HELLO_DEVICE, built by
# docs.device_guide_compiles) as the guide says: registered in the database
# under its executable's base name, started, then called with the guide's
# `lrc invoke` line and its PyTango lines (the ```sh / ```python blocks after
# the "<!-- device-guide: invoke.sh -->" / "hello.py" markers, with the
# guide's device name replaced by one of this run). Both must print the
# task's result. Needs the test database (scripts/tango-db up).
set -euo pipefail

(($# == 3)) || { echo "usage: $0 GUIDE HELLO_DEVICE LRC_TOOL" >&2; exit 2; }
guide=$1 exe=$2 lrc=$3
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
[[ -x $exe ]] || { echo "FAIL: $exe not built (docs.device_guide_compiles)" >&2; exit 1; }
if [[ -z ${TANGO_HOST:-} ]]; then eval "$("$root/scripts/tango-db" env)"; fi
export TANGO_HOST

# Unique per run: other servers may use the same database.
instance=devguide$$ device=test/devguide/$$
work=$(mktemp -d)
export LRC_STATE_DIR=$work
stop() {
  "$root/scripts/devserver" stop "$exe" "$instance" >/dev/null 2>&1 || true
  timeout 10 tango_admin --delete-server "$(basename "$exe")/$instance" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap stop EXIT

block() { # block MARKER: the fenced block after the marker line
  awk -v marker="<!-- device-guide: $1 -->" '
    $0 == marker                 { state = 1; next }
    state == 1 && /^```[a-z]+$/  { state = 2; next }
    state == 2 && /^```$/        { state = 3; exit }
    state == 2                   { print }
    END { if (state != 3) exit 1 }
  ' "$guide" | sed "s|test/guide/1|$device|g"
}
block invoke.sh >"$work/invoke.sh" || { echo "FAIL: no invoke.sh block in $guide" >&2; exit 1; }
block hello.py >"$work/hello.py" || { echo "FAIL: no hello.py block in $guide" >&2; exit 1; }

# The guide's registration: server name = the executable's base name.
"$root/scripts/devserver" start "$exe" "$instance" GuideHello "$device"

mkdir -p "$work/bin"
ln -s "$lrc" "$work/bin/lrc"
echo "--- $(cat "$work/invoke.sh")"
out=$(PATH=$work/bin:$PATH timeout 60 bash "$work/invoke.sh" 2>&1) || { echo "$out"; echo "FAIL: lrc invoke failed" >&2; exit 1; }
echo "$out"
grep -q 'hello, world' <<<"$out" || { echo "FAIL: lrc invoke did not print the result" >&2; exit 1; }

echo "--- the guide's PyTango lines"
out=$(timeout 60 /usr/bin/python3 "$work/hello.py" 2>&1) || { echo "$out"; echo "FAIL: the PyTango lines failed" >&2; exit 1; }
echo "$out"
grep -q "'\[0, \"hello, world\"\]'" <<<"$out" || { echo "FAIL: PyTango did not print [0, \"hello, world\"]" >&2; exit 1; }
echo "ok: the guide's first device runs"
