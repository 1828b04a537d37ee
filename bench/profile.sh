#!/usr/bin/env bash
# CPU profile summaries for the benchmark report (perf, Debian's linux-perf).
#
#   bench/profile.sh PID[,PID...] SECONDS   record those processes for SECONDS, print the summary
#   bench/profile.sh --report PERF_DATA     print the summary of a recording
#
# The summary: samples per process (which one is busy), then the top 20
# symbols (process, library, symbol; self time, so the function that burns
# the CPU, not its callers). scripts/bench records the programs of missed
# goals and the demo device servers with it and puts the summaries in the
# report's "Profiles" section.
set -euo pipefail

TOP=20

summary() {
  local data=$1
  if ! perf report -i "$data" --stdio -g none --no-children --sort comm 2>/dev/null |
       grep -q '%'; then
    echo "(no samples: the processes used no CPU while recorded)"
    return 0
  fi
  echo "samples per process:"
  perf report -i "$data" --stdio -g none --no-children --sort comm 2>/dev/null |
    grep -E '^ +[0-9.]+%' | head -n 8 | sed 's/[[:space:]]*$//'
  echo "top $TOP symbols (self):"
  perf report -i "$data" --stdio -g none --no-children --sort comm,dso,symbol 2>/dev/null |
    grep -E '^ +[0-9.]+%' | head -n "$TOP" | sed -E 's/[[:space:]-]*$//; s/ {3,}/  /g' | cut -c1-160
}

case ${1:-} in
  --report)
    (($# == 2)) || { sed -n '4,5s/^#  //p' "$0" >&2; exit 2; }
    summary "$2"
    ;;
  ''|-*)
    sed -n '4,5s/^#  //p' "$0" >&2; exit 2
    ;;
  *)
    (($# == 2)) || { sed -n '4,5s/^#  //p' "$0" >&2; exit 2; }
    data=$(mktemp /tmp/lrc-profile.XXXXXX)
    trap 'rm -f "$data" "$data.old"' EXIT
    # 999 Hz: enough samples in a few seconds, little disturbance.
    perf record -q -F 999 -g -p "$1" -o "$data" -- sleep "$2" >/dev/null 2>&1
    summary "$data"
    ;;
esac
