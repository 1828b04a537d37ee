#!/usr/bin/env bash
# CPU profile summaries for the benchmark report (perf, Debian's linux-perf).
#
#   bench/profile.sh PID[,PID...] SECONDS   record those processes for SECONDS, print the summary
#   bench/profile.sh --report PERF_DATA     print the summary of a recording
#   bench/profile.sh --steady DIR/NAME SECONDS [--servers PID[,PID...]] -- PROGRAM ARGS...
#                                            the steady state of one scenario
#
# The summary: samples per process (which one is busy), then the top 20
# symbols (process, library, symbol; self time, so the function that burns
# the CPU, not its callers). scripts/bench records the programs of missed
# goals and the demo device servers with it and puts the summaries in the
# report's "Profiles" section.
#
# --steady: PROGRAM ARGS must take `--steady SCENARIO --seconds S` already
# (bench/steady.h): perf is started disabled and the program switches it on
# after its warm-up and off before its teardown, so start-up is not in the
# numbers. Two runs of the program: `perf stat` (task-clock, context
# switches, CPU migrations of all its threads, per iteration of the loop),
# then `perf record` with DWARF call graphs (what the CPU time is spent in,
# with its callers). With --servers, a third run counts the device servers
# the program talks to over the same window (`perf stat -p`: their CPU time,
# context switches and system calls per iteration; the program only sets the
# window), since a loop's cost can lie in the server rather than in the
# program. Writes DIR/NAME.txt (the summary, whose first lines are
# "key: value" for bench/report.py) and keeps DIR/NAME.data.
set -euo pipefail

TOP=20

# The perf report calls both summaries make, written once so that the
# whole-program summary and the steady one read recordings alike. Their
# pipelines cut with sed, not head: head leaves early, and under pipefail the
# writer's SIGPIPE would fail the script after a complete summary.
# perf_pct DATA MODE SORT: the percentage lines of the report of DATA
# (MODE: --no-children for self time, --children for inclusive), by SORT.
perf_pct() {
  perf report -i "$1" --stdio -g none "$2" --sort "$3" 2>/dev/null | grep -E '^ +[0-9.]+%'
}

# has_samples DATA: true when DATA holds samples.
has_samples() {
  perf report -i "$1" --stdio -g none --no-children --sort comm 2>/dev/null | grep -q '%'
}

# per_comm DATA: samples per process (thread) name, the busiest 8.
per_comm() {
  perf_pct "$1" --no-children comm | sed -n '1,8{s/[[:space:]]*$//;p}'
}

# top_self DATA: the top $TOP symbols by self time (process, library,
# symbol: the function that burns the CPU, not its callers).
top_self() {
  perf_pct "$1" --no-children comm,dso,symbol |
    sed -nE "1,${TOP}{s/[[:space:]-]*\$//; s/ {3,}/  /g; p}" | cut -c1-160
}

summary() {
  local data=$1
  if ! has_samples "$data"; then
    echo "(no samples: the processes used no CPU while recorded)"
    return 0
  fi
  echo "samples per process:"
  per_comm "$data"
  echo "top $TOP symbols (self):"
  top_self "$data"
}

# steady OUT SECONDS SERVER_PIDS PROGRAM ARGS... (SERVER_PIDS may be empty)
steady() {
  local out=$1 secs=$2 servers=$3; shift 3
  local tmp; tmp=$(mktemp -d /tmp/lrc-steady.XXXXXX)
  # shellcheck disable=SC2064
  trap "rm -rf '$tmp'" RETURN
  mkfifo "$tmp/ctl" "$tmp/ack"
  local limit=$((${secs%.*} + 120))
  : >"$tmp/servers.csv"
  # 1. counters: every thread of the program, only inside the window
  LRC_BENCH_PERF_CTL=$tmp/ctl LRC_BENCH_PERF_ACK=$tmp/ack \
    timeout --signal=INT "$limit" perf stat -x, -o "$tmp/stat.csv" \
      -e task-clock,context-switches,cpu-migrations \
      --control "fifo:$tmp/ctl,$tmp/ack" --delay=-1 -- "$@" \
      >"$tmp/stat.out" 2>"$tmp/stat.err" </dev/null || true
  # 2. where the time goes, with callers (DWARF: Debian's libraries have
  # no frame pointers)
  LRC_BENCH_PERF_CTL=$tmp/ctl LRC_BENCH_PERF_ACK=$tmp/ack \
    timeout --signal=INT "$limit" perf record -q -F 999 --call-graph dwarf,16384 \
      -o "$out.data" --control "fifo:$tmp/ctl,$tmp/ack" --delay=-1 -- "$@" \
      >"$tmp/rec.out" 2>"$tmp/rec.err" </dev/null || true
  # 3. the servers over the same window: with -p, perf counts those
  # processes and runs the program only to know when to stop; the program
  # still opens and closes the window through the FIFOs
  if [[ -n $servers ]]; then
    LRC_BENCH_PERF_CTL=$tmp/ctl LRC_BENCH_PERF_ACK=$tmp/ack \
      timeout --signal=INT "$limit" perf stat -x, -o "$tmp/servers.csv" -p "$servers" \
        -e task-clock,context-switches,raw_syscalls:sys_enter \
        --control "fifo:$tmp/ctl,$tmp/ack" --delay=-1 -- "$@" \
        >"$tmp/srv.out" 2>"$tmp/srv.err" </dev/null || true
  fi
  /usr/bin/python3 - "$tmp/stat.out" "$tmp/stat.csv" "$tmp/srv.out" "$tmp/servers.csv" \
    >"$out.txt" <<'PY'
import json, os, sys

def steady_line(path):
    if not os.path.exists(path):
        return None
    found = None
    for line in open(path):
        try:
            o = json.loads(line)
        except ValueError:
            continue
        if isinstance(o, dict) and "steady" in o:
            found = o
    return found

def counters_of(path):
    """perf stat -x, output: value,unit,event,... perf writes its
    'Events enabled/disabled' notes to the same file, on lines of their own
    (skipped: no value) or run on at the end of the last counter's line
    (harmless: only the first three fields are read)."""
    counters = {}
    for line in open(path):
        f = line.strip().split(",")
        if len(f) >= 3 and f[0] and not line.startswith("#"):
            try:
                counters[f[2]] = float(f[0])
            except ValueError:
                pass
    return counters

steady = steady_line(sys.argv[1])
counters = counters_of(sys.argv[2])
if not steady or not steady.get("ops"):
    print("steady: no result (the program printed no steady line)")
    sys.exit(0)
ops = steady["ops"]
print("scenario: %s" % steady["steady"])
print("ops: %d" % ops)
print("seconds: %.2f" % steady["seconds"])
print("wall_per_op_us: %.1f" % (steady["seconds"] * 1e6 / ops))
tc = counters.get("task-clock")
if tc is not None:  # msec
    print("cpu_per_op_us: %.1f" % (tc * 1e3 / ops))
cs = counters.get("context-switches")
if cs is not None:
    print("cs_per_op: %.2f" % (cs / ops))
mig = counters.get("cpu-migrations")
if mig is not None:
    print("migrations_per_op: %.2f" % (mig / ops))
# The servers' run is a run of its own: its counts go with its own ops.
srv = steady_line(sys.argv[3])
sc = counters_of(sys.argv[4])
if srv and srv.get("ops") and sc:
    for key, event, fmt in (("servers_cpu_per_op_us", "task-clock", "%.1f"),
                            ("servers_cs_per_op", "context-switches", "%.2f"),
                            ("servers_syscalls_per_op", "raw_syscalls:sys_enter", "%.1f")):
        if event in sc:
            v = sc[event] * (1e3 if event == "task-clock" else 1) / srv["ops"]
            print(("%s: " + fmt) % (key, v))
PY
  {
    echo
    echo "the program's last words (stderr of the perf stat run):"
    grep -v '^Events \(en\|dis\)abled' "$tmp/stat.err" | tail -n 5 | cut -c1-160
    echo
    if ! has_samples "$out.data"; then
      echo "(no samples recorded)"
      return 0
    fi
    echo "CPU samples per thread:"
    per_comm "$out.data"
    # Inclusive time of the project's own functions (library, shim,
    # program): which of its steps the CPU time goes to, callees included
    # (futex calls, Tango). The generic frames above them (start_thread,
    # main) say nothing and are left out.
    echo "top $TOP functions of the project, inclusive (what they call included):"
    perf_pct "$out.data" --children dso,symbol | grep -E ' (liblrc[a-z_]*\.so[.0-9]*|lrc-[a-z-]+) ' |
      grep -vE '\] (main|_start|__libc_start)' |
      sed -nE "1,${TOP}{s/[[:space:]-]*\$//; s/ {3,}/  /g; p}" | cut -c1-160
    echo "top $TOP symbols, self:"
    top_self "$out.data"
  } >>"$out.txt"
}

case ${1:-} in
  --steady)
    (($# >= 4)) || { sed -n '4,7s/^#  //p' "$0" >&2; exit 2; }
    out=$2 secs=$3 servers=""; shift 3
    if [[ $1 == --servers ]]; then
      (($# >= 2)) || { sed -n '4,7s/^#  //p' "$0" >&2; exit 2; }
      servers=$2; shift 2
    fi
    (($# >= 2)) && [[ $1 == -- ]] || { sed -n '4,7s/^#  //p' "$0" >&2; exit 2; }
    shift
    steady "$out" "$secs" "$servers" "$@"
    ;;
  --report)
    (($# == 2)) || { sed -n '4,7s/^#  //p' "$0" >&2; exit 2; }
    summary "$2"
    ;;
  ''|-*)
    sed -n '4,7s/^#  //p' "$0" >&2; exit 2
    ;;
  *)
    (($# == 2)) || { sed -n '4,7s/^#  //p' "$0" >&2; exit 2; }
    data=$(mktemp /tmp/lrc-profile.XXXXXX)
    trap 'rm -f "$data" "$data.old"' EXIT
    # 999 Hz: enough samples in a few seconds, little disturbance.
    perf record -q -F 999 -g -p "$1" -o "$data" -- sleep "$2" >/dev/null 2>&1
    summary "$data"
    ;;
esac
