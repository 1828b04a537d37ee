#!/usr/bin/env bash
# Fresh subscribers under CPU load (issue 9, point 2; docs/protocol.md,
# "Fresh subscribers"): a PyTango client doing what ska's invoke_lrc does
# without a pre-connected interface (subscribe, call Echo at once, wait for
# the final status, unsubscribe), V2_RUNS times against a v2 demo device and
# V1_RUNS times against a v1 ("1,1") one, while two busy loops keep both
# cores loaded. Every run must see all of its command's events.
#
#   fresh_subscribers.sh DEMO_DEVICE_EXE [V2_RUNS V1_RUNS]     (1000 500)
#
# Starts its own servers (unique instances) and busy loops, and stops all of
# them by PID whatever happens; the busy loops also end by themselves
# (timeout). Needs the test database (ctest fixture tango_db).
set -euo pipefail
exe=$1 v2_runs=${2:-1000} v1_runs=${3:-500}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
eval "$("$root/scripts/tango-db" env)"
export LRC_STATE_DIR=${LRC_STATE_DIR:-/tmp/tango-lrc-state}

tag=fs$$
v2_dev=test/fresh/${tag}v2 v1_dev=test/fresh/${tag}v1
loops=()
cleanup() {
  local pid
  for pid in "${loops[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${loops[@]}"; do wait "$pid" 2>/dev/null || true; done
  "$root/scripts/devserver" stop "$exe" "${tag}v2" >/dev/null 2>&1 || true
  "$root/scripts/devserver" stop "$exe" "${tag}v1" >/dev/null 2>&1 || true
  timeout 10 tango_admin --delete-server "lrc-demo-device/${tag}v2" --with-properties >/dev/null 2>&1 || true
  timeout 10 tango_admin --delete-server "lrc-demo-device/${tag}v1" --with-properties >/dev/null 2>&1 || true
}
trap cleanup EXIT

"$root/scripts/devserver" start "$exe" "${tag}v2" LrcDemo "$v2_dev"
"$root/scripts/devserver" start "$exe" "${tag}v1" LrcDemo "$v1_dev" LrcProtocolVersions=1,1

# Two busy loops, bounded in time even if this script is killed.
for _ in 1 2; do
  timeout 900 sh -c 'while :; do :; done' &
  loops+=($!)
done

rc=0
/usr/bin/python3 "$here/py/fresh_subscriber.py" "$v2_dev" v2 "$v2_runs" || rc=1
/usr/bin/python3 "$here/py/fresh_subscriber.py" "$v1_dev" v1 "$v1_runs" || rc=1
exit "$rc"
