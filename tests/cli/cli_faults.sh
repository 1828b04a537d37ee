#!/usr/bin/env bash
# `lrc invoke` when its device server is SIGKILLed (issue 12; see
# docs/reliability.md): it never waits for ever.
#  1. kill and restart 2 s later: the restarted device forgot the command,
#     so the outcome is LOST: exit 7, last JSON line {"outcome": "LOST"},
#     a final update with "end": "LOST" and a "last_status";
#  2. kill without restart: LOST as well, within the library's default bound
#     (cppTango reports the death 10-20 s after it, then 60 s), and sooner
#     with --lost-after 3 (while the default one still waits);
#  3. --timeout on a live device: exit 5, "end": "TIMED_OUT".
#
#   cli_faults.sh LRC_EXE DEMO_DEVICE_EXE
#
# Starts its own server (unique instance) and stops it by PID whatever
# happens. Needs the test database (ctest fixture tango_db).
set -euo pipefail
lrc=$1 exe=$2
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
eval "$("$root/scripts/tango-db" env)"
export LRC_STATE_DIR=${LRC_STATE_DIR:-/tmp/tango-lrc-state}
name=$(basename "$exe")
inst=clifaults$$
dev=test/clifaults/$$
out=$(mktemp -d)
pidfile=$LRC_STATE_DIR/server-$name-$inst.pid

cleanup() {
  "$root/scripts/devserver" stop "$exe" "$inst" >/dev/null 2>&1 || true
  timeout 10 tango_admin --delete-server "$name/$inst" --with-properties >/dev/null 2>&1 || true
  rm -rf "$out"
}
trap cleanup EXIT
fail() { echo "cli_faults: FAIL: $*" >&2; exit 1; }

start() { "$root/scripts/devserver" start "$exe" "$inst" LrcDemo "$dev" >/dev/null; }
killserver() { kill -KILL "$(cat "$pidfile")"; }

# check NAME EXIT_WANTED END_WANTED OUTCOME_WANTED: the exit status and the
# JSON lines of one run
check() {
  local n=$1 want_rc=$2 want_end=$3 want_outcome=$4 rc
  rc=$(cat "$out/$n.rc")
  [[ $rc == "$want_rc" ]] || { cat "$out/$n.json" "$out/$n.err" >&2; fail "$n: exit $rc, not $want_rc"; }
  /usr/bin/python3 - "$out/$n.json" "$want_end" "$want_outcome" <<'PY' || fail "$1: JSON lines"
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
finals = [l for l in lines if l.get("final")]
assert len(finals) == 1, finals
f = finals[0]
assert f.get("end") == sys.argv[2] and "status" not in f, f
assert f.get("last_status") in ("STAGING", "QUEUED", "IN_PROGRESS"), f
assert lines[-1]["outcome"] == sys.argv[3], lines[-1]
print("cli_faults: %s: final %s (last status %s), outcome %s, exit %d" %
      (sys.argv[1].split("/")[-1], f["end"], f["last_status"], lines[-1]["outcome"],
       lines[-1]["exit"]))
PY
}

start

# 3. --timeout on a live device
"$lrc" invoke "$dev" Sleep 20 --json --timeout 1.5 >"$out/timeout.json" 2>"$out/timeout.err" &&
  echo 0 >"$out/timeout.rc" || echo $? >"$out/timeout.rc"
check timeout 5 TIMED_OUT TIMEOUT
"$lrc" abort "$dev" -q || true

# 1. kill and restart
t0=$SECONDS
( "$lrc" invoke "$dev" Sleep 30 --json >"$out/restart.json" 2>"$out/restart.err" &&
    echo 0 >"$out/restart.rc" || echo $? >"$out/restart.rc" ) &
runner=$!
sleep 1.5
killserver
sleep 2
start
wait "$runner"
echo "cli_faults: kill and restart: lrc invoke ended $((SECONDS - t0)) s after it started"
check restart 7 LOST LOST

# 2. kill without restart (within 20 s + 60 s + a question period + a timeout),
#    and beside it one with --lost-after 3 (queued behind the first): it
#    ends LOST while the one with the default bound still waits
t0=$SECONDS
( timeout 120 "$lrc" invoke "$dev" Sleep 300 --json >"$out/dead.json" 2>"$out/dead.err" &&
    echo 0 >"$out/dead.rc" || echo $? >"$out/dead.rc" ) &
runner=$!
sleep 0.5
( timeout 120 "$lrc" invoke "$dev" Sleep 300 --json --lost-after 3 >"$out/short.json" \
    2>"$out/short.err" && echo 0 >"$out/short.rc" || echo $? >"$out/short.rc" ) &
short=$!
sleep 1.5
killserver
wait "$short"
echo "cli_faults: kill, no restart, --lost-after 3: lrc invoke ended $((SECONDS - t0)) s after it started"
kill -0 "$runner" 2>/dev/null || fail "--lost-after 3 did not end before the default bound"
check short 7 LOST LOST
wait "$runner"
echo "cli_faults: kill, no restart: lrc invoke ended $((SECONDS - t0)) s after it started"
check dead 7 LOST LOST
grep -q "LOST" "$out/dead.err" || fail "no LOST message on stderr"
echo "cli_faults: PASS"
