#!/usr/bin/env bash
# bench_quick.sh SOURCE_DIR BUILD_DIR: run `scripts/bench --quick` on
# BUILD_DIR and check what it wrote: the report, a plot, results from every
# program that ran (samples or a value, no timing judged), and the docs'
# report untouched. A program of bench/scenarios.list that is not built is
# skipped by scripts/bench with a "not built" line; one that is built and
# fails makes scripts/bench, and so this test, fail.
set -euo pipefail
(($# == 2)) || { echo "usage: bench_quick.sh SOURCE_DIR BUILD_DIR" >&2; exit 2; }
root=$1 build=$2
out=$(mktemp -d /tmp/lrc-bench-quick.XXXXXX)
trap 'rm -rf "$out"' EXIT
fail() { echo "bench_quick: FAIL: $*" >&2; exit 1; }

docs_before=$(stat -c %Y "$root/docs/performance.md" 2>/dev/null || echo none)
"$root/scripts/bench" --quick --build-dir "$build" --out "$out" || fail "scripts/bench --quick failed"
[[ $(stat -c %Y "$root/docs/performance.md" 2>/dev/null || echo none) == "$docs_before" ]] ||
  fail "--quick rewrote docs/performance.md"

[[ -s $out/performance.md ]] || fail "no $out/performance.md"
for section in "## Machine" "## Goals" "## Scenarios" "## Plots" "## Profiles"; do
  grep -qxF "$section" "$out/performance.md" || fail "performance.md has no '$section' section"
done
ls "$out"/perf/latency-*.png >/dev/null 2>&1 || fail "no latency plot in $out/perf/"

/usr/bin/python3 - "$out" "$root" <<'PY'
import json, sys
out = sys.argv[1]
ran = [l.split("\t")[0] for l in open(out + "/programs.tsv") if l.split("\t")[1] == "ok"]
if "py" not in ran:
    sys.exit("bench_quick: FAIL: the PyTango baselines did not run: %s" % ran)
measured = {}
for line in open(out + "/results.jsonl"):
    r = json.loads(line)
    if "note" in r:
        continue
    if not (r.get("samples") or "value" in r):
        sys.exit("bench_quick: FAIL: %s has neither samples nor a value" % r["scenario"])
    measured.setdefault(r["program"], []).append(r["scenario"])
for p in ran:
    if not measured.get(p):
        sys.exit("bench_quick: FAIL: program %s ran but measured nothing" % p)
for s in ("py.state_rtt", "py.raw_presubscribed", "py.subscribe_per_call"):
    if s not in measured["py"]:
        sys.exit("bench_quick: FAIL: no %s" % s)
report = open(out + "/performance.md").read()
# the report names a scenario by its alias when bench/goals.json gives one,
# and a scenario printed in several series once per series: "ID (SERIES)"
aliases = json.load(open(sys.argv[2] + "/bench/goals.json")).get("aliases", {})
for p in ran:
    for s in measured[p]:
        name = aliases.get(s, s)
        if "| %s |" % name not in report and "| %s (" % name not in report:
            sys.exit("bench_quick: FAIL: %s is not in the report's scenario table" % s)
print("bench_quick: ok: %s" % ", ".join("%s (%d scenarios)" % (p, len(measured[p])) for p in ran))
PY
