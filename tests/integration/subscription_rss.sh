#!/usr/bin/env bash
# A kit device server stays flat under subscription churn (issue 12 item 6;
# docs/memory.md): a PyTango client subscribes to _lrcEvent, calls Echo and
# unsubscribes, CYCLES times (ska's invoke_lrc without a pre-connected
# interface). The server's settled RSS (see py/churn_rss.py: after the
# pending ZeroMQ buffers are released and the kit's trimmer has run) may
# grow by at most MAX_KB per cycle between the end of a 300-cycle warm-up
# and the end. Without the trimmer the same run grows ~25 kB/cycle.
#
#   subscription_rss.sh DEMO_DEVICE_EXE [CYCLES MAX_KB]     (2000 2)
#
# Starts its own server (unique instance) and stops it by PID whatever
# happens. Needs the test database (ctest fixture tango_db).
set -euo pipefail
exe=$1 cycles=${2:-2000} max_kb=${3:-2}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
eval "$("$root/scripts/tango-db" env)"
export LRC_STATE_DIR=${LRC_STATE_DIR:-/tmp/tango-lrc-state}

tag=rss$$
dev=test/rss/$tag
cleanup() {
  "$root/scripts/devserver" stop "$exe" "$tag" >/dev/null 2>&1 || true
  timeout 10 tango_admin --delete-server "lrc-demo-device/$tag" --with-properties >/dev/null 2>&1 || true
}
trap cleanup EXIT

# The default period (what a kit server does unless told otherwise).
unset LRC_TRIM_PERIOD
"$root/scripts/devserver" start "$exe" "$tag" LrcDemo "$dev"
pid=$(cat "$LRC_STATE_DIR/server-lrc-demo-device-$tag.pid")

# settle 15 s: cppTango's heartbeat (9 s) lets ZeroMQ free what is pending,
# then the trimmer (every 5 s) gives it back.
/usr/bin/python3 "$here/py/churn_rss.py" "$dev" "$pid" "$cycles" \
  --command Echo --arg churn --every 250 --warmup 300 --settle 15 \
  --max-kb-per-cycle "$max_kb"
