#!/usr/bin/env bash
# profile_steady.sh SOURCE_DIR DEMO_DEVICE_EXE BENCH_CLIENT_EXE: the
# steady-state profile of scripts/bench's report (bench/profile.sh --steady)
# on one scenario against a demo device: the program's counters per
# iteration, and with --servers the device server's CPU time, system calls
# and context switches over the same window; without --servers none of the
# server's figures. It checks that the figures are there and plausible
# (an Echo's LRC costs the server at least one system call), never timings.
#
# Starts its own server (unique instance) and stops it by PID whatever
# happens. Needs the test database (ctest fixture tango_db) and perf.
set -euo pipefail
(($# == 3)) || { echo "usage: profile_steady.sh SOURCE_DIR DEMO_DEVICE_EXE BENCH_CLIENT_EXE" >&2; exit 2; }
root=$1 exe=$2 client=$3
eval "$("$root/scripts/tango-db" env)"
export LRC_STATE_DIR=${LRC_STATE_DIR:-/tmp/tango-lrc-state}
fail() { echo "profile_steady: FAIL: $*" >&2; exit 1; }

tag=prof$$
dev=test/prof/$tag
out=$(mktemp -d /tmp/lrc-profile-steady.XXXXXX)
cleanup() {
  "$root/scripts/devserver" stop "$exe" "$tag" >/dev/null 2>&1 || true
  timeout 10 tango_admin --delete-server "lrc-demo-device/$tag" --with-properties >/dev/null 2>&1 || true
  rm -rf "$out"
}
trap cleanup EXIT

"$root/scripts/devserver" start "$exe" "$tag" LrcDemo "$dev"
pid=$(cat "$LRC_STATE_DIR/server-lrc-demo-device-$tag.pid")

# value KEY FILE: the "KEY: value" of a summary's head (empty if absent)
value() { sed -n "s/^$1: //p" "$2" | head -n 1; }
# positive X: true if X is a number > 0
positive() { [[ -n $1 ]] && awk -v v="$1" 'BEGIN { exit !(v + 0 > 0) }'; }

"$root/bench/profile.sh" --steady "$out/with" 1 --servers "$pid" -- \
  "$client" --steady client.raw_floor --seconds 1 "$dev" 2>"$out/with.err" ||
  fail "profile.sh --steady --servers failed: $(tail -n 5 "$out/with.err")"
f=$out/with.txt
[[ -s $f ]] || fail "no summary $f"
[[ $(value scenario "$f") == client.raw_floor ]] || fail "scenario line: $(head -n 3 "$f")"
for key in ops cpu_per_op_us cs_per_op servers_cpu_per_op_us servers_cs_per_op; do
  positive "$(value "$key" "$f")" || fail "$key is not a positive number in $f: $(head -n 12 "$f")"
done
sys=$(value servers_syscalls_per_op "$f")
[[ -n $sys ]] && awk -v v="$sys" 'BEGIN { exit !(v + 0 >= 1) }' ||
  fail "servers_syscalls_per_op '$sys': an Echo's LRC costs the server system calls"
[[ -s $out/with.data ]] || fail "no perf recording $out/with.data"

"$root/bench/profile.sh" --steady "$out/without" 1 -- \
  "$client" --steady client.state_rtt --seconds 1 "$dev" 2>"$out/without.err" ||
  fail "profile.sh --steady failed: $(tail -n 5 "$out/without.err")"
positive "$(value cpu_per_op_us "$out/without.txt")" || fail "no cpu_per_op_us without --servers"
! grep -q '^servers_' "$out/without.txt" || fail "server figures without --servers"

"$root/bench/profile.sh" --steady "$out/bad" 1 --servers 2>/dev/null &&
  fail "--servers without a PID list and a program was accepted"
echo "profile_steady: ok: $(grep -E '^(cpu|servers)_' "$f" | tr '\n' ' ')"
