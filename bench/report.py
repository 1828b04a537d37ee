#!/usr/bin/python3
"""The benchmark report of scripts/bench: statistics, goals, plots, profiles.

  report.py ingest PROGRAM RAW_JSONL RESULTS_JSONL
      check one scenario program's stdout and append its results (tagged
      with the program) to RESULTS_JSONL. Exit 1 if a line is no JSON object
      of the format below or if no scenario has samples or a value.
  report.py misses RESULTS_JSONL GOALS_JSON
      "GOAL_ID PROGRAM" per missed goal, for every program whose scenario the
      goal compares (scripts/bench profiles those programs).
  report.py write --results F --goals F --programs F --profiles DIR
                  --md FILE --mode full|quick [--load-start "1 5 15"]
      docs/performance.md (or the quick run's copy) and its PNGs in
      dirname(FILE)/perf/ (gnuplot).

A scenario program prints, one per line:
  {"scenario": ID, "label": TEXT, "unit": U, "samples": [numbers]}
  {"scenario": ID, "label": TEXT, "unit": U, "value": number}
  optionally "x": number and "series": name (cost-vs-parameter plots);
  {"scenario": ID, "note": TEXT} for remarks.
Statistics are nearest-rank percentiles of the samples; a value-only
scenario has that value as every statistic. Goals (bench/goals.json) are
ratios to a baseline measured in the same run, or absolute limits.
"""
import datetime
import json
import math
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# Units a goal's absolute limit may be converted between.
SCALE = {"ns": ("time", 1e-9), "us": ("time", 1e-6), "ms": ("time", 1e-3), "s": ("time", 1.0),
         "B": ("size", 1.0), "bytes": ("size", 1.0), "KiB": ("size", 1024.0), "MiB": ("size", 1048576.0)}
STATS = ("median", "p90", "p99", "max")


def convert(v, frm, to):
    if frm == to:
        return v
    a, b = SCALE.get(frm), SCALE.get(to)
    if not a or not b or a[0] != b[0]:
        raise ValueError("cannot convert %s to %s" % (frm, to))
    return v * a[1] / b[1]


def is_number(v):
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


# ---- ingest ----------------------------------------------------------------

def check_line(obj):
    """Why a parsed line is not a valid result, or None."""
    if not isinstance(obj, dict) or not isinstance(obj.get("scenario"), str) or not obj["scenario"]:
        return "no \"scenario\" string"
    if "note" in obj:
        return None
    if "samples" in obj:
        s = obj["samples"]
        if not isinstance(s, list) or not s:
            return "\"samples\" is empty or not a list"
        if not all(is_number(x) for x in s):
            return "\"samples\" holds a non-number"
    elif "value" in obj:
        if not is_number(obj["value"]):
            return "\"value\" is not a number"
    else:
        return "neither \"samples\", \"value\" nor \"note\""
    if "x" in obj and not is_number(obj["x"]):
        return "\"x\" is not a number"
    return None


def cmd_ingest(program, raw, results):
    good, bad, measured = [], 0, 0
    with open(raw, encoding="utf-8", errors="replace") as f:
        for n, line in enumerate(f, 1):
            line = line.strip()
            if not line:
                continue
            try:
                obj = json.loads(line)
                why = check_line(obj)
            except ValueError:
                why = "not JSON"
            if why:
                bad += 1
                print("report.py: %s line %d: %s: %.120s" % (program, n, why, line), file=sys.stderr)
                continue
            obj["program"] = program
            good.append(obj)
            measured += "note" not in obj
    with open(results, "a") as f:
        for obj in good:
            f.write(json.dumps(obj) + "\n")
    print("%d scenario results, %d notes, %d bad lines" % (measured, len(good) - measured, bad))
    return 0 if measured and not bad else 1


# ---- statistics ------------------------------------------------------------

def percentile(xs, p):
    """Nearest rank: the smallest sample with at least p of them at or below."""
    return xs[max(0, math.ceil(p * len(xs)) - 1)]


class Scenario:
    def __init__(self, sid):
        self.id = sid
        self.label = ""
        self.unit = ""
        self.samples = []
        self.values = []
        self.x = None
        self.series = None
        self.program = ""

    def stat(self, name):
        if self.samples:
            xs = sorted(self.samples)
            return {"median": percentile(xs, 0.5), "p90": percentile(xs, 0.9),
                    "p99": percentile(xs, 0.99), "max": xs[-1], "min": xs[0],
                    "mean": sum(xs) / len(xs), "value": percentile(xs, 0.5)}[name]
        if self.values:
            # Several values of one scenario (repeated runs): their median.
            return sorted(self.values)[(len(self.values) - 1) // 2]
        return None


def load(results, goals):
    aliases = goals.get("aliases", {})
    scen, notes = {}, []
    order = []
    objs = [json.loads(line) for line in open(results)]
    # An id printed with several series (e.g. drops of two queues) is one
    # scenario per series, "ID (SERIES)": their values are not one sample set.
    series_of = {}
    for obj in objs:
        if "note" not in obj:
            series_of.setdefault(aliases.get(obj["scenario"], obj["scenario"]), set()).add(obj.get("series"))
    for obj in objs:
        sid = aliases.get(obj["scenario"], obj["scenario"])
        if len(series_of[sid]) > 1 and "note" not in obj:
            sid = "%s (%s)" % (sid, obj.get("series"))
        if "note" in obj:
            notes.append((obj.get("program", ""), sid, obj["note"]))
            continue
        s = scen.get(sid)
        if s is None:
            s = scen[sid] = Scenario(sid)
            order.append(sid)
        s.label = obj.get("label") or s.label or sid
        s.unit = obj.get("unit") or s.unit
        s.program = obj.get("program", "")
        s.x = obj.get("x", s.x)
        s.series = obj.get("series", s.series)
        if "samples" in obj:
            s.samples.extend(obj["samples"])
        else:
            s.values.append(obj["value"])
    return [scen[k] for k in order], scen, notes


# ---- goals -----------------------------------------------------------------

def fmt(v):
    if v is None:
        return "-"
    a = abs(v)
    if a == 0:
        return "0"
    if a >= 1e5:
        return "%.0f" % v
    if a >= 100:
        return "%.1f" % v
    if a >= 1:
        return "%.2f" % v
    return "%.3g" % v


def matching(pattern, scen):
    """The scenarios a goal names: the id itself, its per-series variants
    "ID (SERIES)", or with a trailing "*" every id of that prefix."""
    if pattern.endswith("*"):
        return [s for k, s in scen.items() if k.startswith(pattern[:-1])]
    return [s for k, s in scen.items() if k == pattern or k.startswith(pattern + " (")]


def evaluate(goal, scen):
    """Row dict: value text, baseline text, ratio, verdict. A goal over
    several scenarios (a family) is judged on the worst of them."""
    m = goal["metric"]
    row = {"goal": goal, "metric": None, "baseline": None, "ratio": None, "verdict": "", "programs": [],
           "scenarios": []}
    found = [(s, s.stat(m["stat"])) for s in matching(m["scenario"], scen)]
    found = [(s, v) for s, v in found if v is not None]
    if not found:
        row["verdict"] = "not measured (%s)" % m["scenario"]
        return row
    pick = min if goal["op"] == ">=" else max
    ms, mv = pick(found, key=lambda sv: sv[1])
    row["programs"].append(ms.program)
    row["scenarios"].append((ms.program, ms.id))
    stat = "" if m["stat"] == "value" else " " + m["stat"]
    if len(found) > 1 and goal["op"] == "report":
        lo, hi = min(v for _, v in found), max(v for _, v in found)
        row["metric"] = "%s .. %s %s%s over %d scenarios" % (fmt(lo), fmt(hi), ms.unit, stat, len(found))
    elif len(found) > 1:
        row["metric"] = "%s %s%s (worst of %d: %s)" % (fmt(mv), ms.unit, stat, len(found), ms.id)
    else:
        row["metric"] = "%s %s%s" % (fmt(mv), ms.unit, stat)
    # more scenarios to show in the steady state of a miss (steady_scenarios)
    row["steady_also"] = [(scen[x].program, x) for x in goal.get("steady_also", []) if x in scen]
    b = goal.get("baseline")
    op, limit = goal["op"], goal.get("limit")
    if b:
        bs = scen.get(b["scenario"])
        if bs is None:
            row["verdict"] = "not measured (baseline %s)" % b["scenario"]
            return row
        if bs.program not in row["programs"]:
            row["programs"].append(bs.program)
        row["scenarios"].append((bs.program, bs.id))
        bv = bs.stat(b["stat"])
        row["baseline"] = "%s: %s %s %s" % (b["scenario"], fmt(bv), bs.unit, b["stat"])
        try:
            bv = convert(bv, bs.unit, ms.unit)
        except ValueError as e:
            row["verdict"] = "cannot compare: %s" % e
            return row
        if bv == 0:
            row["verdict"] = "cannot compare: the baseline is 0"
            return row
        val = mv / bv
        row["ratio"] = val
        what, unit = "%.2fx" % val, "x"
    else:
        if op == "report":
            row["verdict"] = "reported"
            return row
        try:
            val = convert(mv, ms.unit, goal["unit"]) if goal.get("unit") not in (None, "count") else mv
        except ValueError as e:
            row["verdict"] = "cannot compare: %s" % e
            return row
        what, unit = "%s %s" % (fmt(val), goal.get("unit", "")), goal.get("unit", "")
    if op == "report":
        row["verdict"] = "reported (%s)" % what if b else "reported"
        return row
    ok = val <= limit if op == "<=" else val >= limit
    lim = "%s%s" % (fmt(limit), "x" if unit == "x" else " " + unit)
    if ok:
        row["verdict"] = "met (%s %s %s)" % (what, op, lim)
    elif limit == 0:
        row["verdict"] = "**MISSED** (%s, limit %s)" % (what, lim)
    else:
        off = val / limit if op == "<=" else limit / val if val else float("inf")
        row["verdict"] = "**MISSED** by %.2fx (%s, limit %s)" % (off, what, lim)
    row["missed"] = not ok
    return row


def cmd_steady(results, goals_file):
    """The (program, scenario) pairs a missed goal compares: scripts/bench
    profiles their steady state (bench/profile.sh --steady)."""
    goals = json.load(open(goals_file))
    _, scen, _ = load(results, goals)
    seen = set()
    for g in goals["goals"]:
        row = evaluate(g, scen)
        if row.get("missed"):
            for p, sid in steady_scenarios(row):
                if (p, sid) not in seen and " " not in sid:
                    seen.add((p, sid))
                    print(p, sid)
    return 0


def steady_scenarios(row):
    """The (program, scenario) pairs whose steady state a missed goal's row
    shows: its metric, its baseline (second: the steady table's base), then
    the goal's steady_also."""
    return row["scenarios"] + row.get("steady_also", [])


def read_steady(pdir, sid):
    """The "key: value" head of a steady-state summary, or None."""
    path = os.path.join(pdir, "steady.%s.txt" % sid) if pdir else ""
    if not path or not os.path.exists(path):
        return None
    kv = {}
    for line in open(path):
        if not line.strip():
            break
        k, _, v = line.partition(":")
        kv[k.strip()] = v.strip()
    return kv if "ops" in kv else None


def cmd_misses(results, goals_file):
    goals = json.load(open(goals_file))
    _, scen, _ = load(results, goals)
    for g in goals["goals"]:
        row = evaluate(g, scen)
        if row.get("missed"):
            for p in row["programs"]:
                print(g["id"], p)
    return 0


# ---- machine ---------------------------------------------------------------

def sh(*cmd):
    try:
        return subprocess.run(cmd, capture_output=True, text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return ""


def machine(load_start):
    cpu = "?"
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = "?"
    try:
        for line in open("/proc/meminfo"):
            if line.startswith("MemTotal"):
                mem = "%.1f GiB" % (int(line.split()[1]) / 1048576)
    except OSError:
        pass
    os_name = "?"
    try:
        for line in open("/etc/os-release"):
            if line.startswith("PRETTY_NAME="):
                os_name = line.split("=", 1)[1].strip().strip('"')
    except OSError:
        pass
    commit = sh("git", "-C", ROOT, "rev-parse", "--short", "HEAD") or "?"
    if sh("git", "-C", ROOT, "status", "--porcelain", "--untracked-files=no"):
        commit += " (with uncommitted changes)"
    return [
        ("date", datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")),
        ("git commit", commit),
        ("CPU", "%s, %d cores online" % (cpu, os.cpu_count() or 0)),
        ("memory", mem),
        ("system", "%s, kernel %s" % (os_name, platform.release())),
        ("compiler", sh("cc", "--version").split("\n")[0] or "?"),
        ("cppTango", sh("pkg-config", "--modversion", "tango") or "?"),
        ("PyTango", sh("/usr/bin/python3", "-c", "import tango; print(tango.__version__)") or "?"),
        ("load average (1, 5, 15 min)", "%s at the start, %s at the end" %
         (load_start or "?", " ".join(open("/proc/loadavg").read().split()[:3]))),
    ]


# ---- plots -----------------------------------------------------------------

def gnuplot_terminal():
    out = sh("gnuplot", "-e", "set terminal")
    return "pngcairo noenhanced size 900,560 font ',10'" if "pngcairo" in out else "png noenhanced size 900,560"


def gp_quote(s):
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def plot(script, png):
    r = subprocess.run(["gnuplot"], input=script, capture_output=True, text=True)
    if r.returncode != 0 or not os.path.exists(png):
        raise RuntimeError("gnuplot failed for %s: %s" % (png, r.stderr.strip()[-400:]))


def group_of(sid):
    return sid.split(".", 1)[0]


def make_plots(scenarios, png_dir, tmp):
    """PNG names written, with a caption each."""
    term = gnuplot_terminal()
    made = []
    # Latency distributions: one CDF per group, time units shown in ms.
    groups = {}
    for s in scenarios:
        if len(s.samples) >= 2 and SCALE.get(s.unit, ("",))[0] == "time":
            groups.setdefault(group_of(s.id), []).append(s)
    for g, ss in sorted(groups.items()):
        plots = []
        for i, s in enumerate(ss):
            xs = sorted(convert(v, s.unit, "ms") for v in s.samples)
            data = os.path.join(tmp, "lat-%s-%d.dat" % (g, i))
            with open(data, "w") as f:
                for k, v in enumerate(xs, 1):
                    f.write("%.6g %.6g\n" % (max(v, 1e-6), k / len(xs)))
            plots.append("%s using 1:2 with steps lw 2 title %s" % (gp_quote(data), gp_quote(s.id)))
        png = "latency-%s.png" % g
        path = os.path.join(png_dir, png)
        plot("set terminal %s\nset output %s\nset title %s\nset logscale x\nset grid\n"
             "set xlabel 'latency (ms, log scale)'\nset ylabel 'fraction of calls at or below'\n"
             "set key bottom right\nset yrange [0:1]\nplot %s\n"
             % (term, gp_quote(path), gp_quote("latency distributions: %s.*" % g), ", ".join(plots)),
             path)
        made.append((png, "Latency distributions, %s.* (cumulative; further right is slower)" % g))
    # Cost against a parameter: scenarios with "x", per group and unit.
    costs = {}
    for s in scenarios:
        if s.x is not None and s.stat("median") is not None:
            # A line per family (the id without its parameter parts, those
            # with digits: scale.finals_ms.n100.d10 -> scale.finals_ms) and
            # series: families of one unit share the plot, never a line.
            family = ".".join(p for p in s.id.split(" ")[0].split(".") if not re.search(r"\d", p))
            line = family if not s.series or s.series in family else "%s [%s]" % (family, s.series)
            costs.setdefault((group_of(s.id), s.unit), {}).setdefault(line, []).append(
                (s.x, s.stat("median")))
    for (g, unit), series in sorted(costs.items()):
        series = {k: v for k, v in series.items() if len({p[0] for p in v}) >= 2}
        if not series:
            continue  # single points (e.g. per-queue counters): nothing to plot against
        plots, xs = [], []
        for i, (name, pts) in enumerate(sorted(series.items())):
            pts.sort()
            xs += [p[0] for p in pts]
            data = os.path.join(tmp, "cost-%s-%d.dat" % (g, i))
            with open(data, "w") as f:
                for x, y in pts:
                    f.write("%.6g %.6g\n" % (x, y))
            plots.append("%s using 1:2 with linespoints lw 2 pt 7 title %s" % (gp_quote(data), gp_quote(name)))
        logx = min(xs) > 0 and max(xs) / min(xs) >= 100
        png = "cost-%s-%s.png" % (g, re.sub(r"[^A-Za-z0-9]+", "_", unit) or "value")
        path = os.path.join(png_dir, png)
        plot("set terminal %s\nset output %s\nset title %s\n%sset grid\nset xlabel 'parameter (x)'\n"
             "set ylabel %s\nset key top left\nplot %s\n"
             % (term, gp_quote(path), gp_quote("%s.*: cost against its parameter" % g),
                "set logscale x\n" if logx else "", gp_quote("median (%s)" % unit), ", ".join(plots)),
             path)
        made.append((png, "%s.*: median %s against the parameter each series varies" % (g, unit)))
    return made


# ---- write -----------------------------------------------------------------

def baseline_for(sid, goals, scen):
    """The scenario table's baseline: the State round trip its group's
    program measured (the goals table has each goal's own baseline)."""
    best = ""
    for prefix in goals.get("default_baselines", {}):
        if sid.startswith(prefix) and len(prefix) > len(best):
            best = prefix
    b = goals.get("default_baselines", {}).get(best)
    return b if b and b != sid and b in scen else None


def read_programs(path):
    rows = []
    if os.path.exists(path):
        for line in open(path):
            f = line.rstrip("\n").split("\t")
            if len(f) >= 4:
                rows.append(f)
    return rows


def busiest(path):
    """(process with its share, its top symbol) from a bench/profile.sh
    summary, or None."""
    if not os.path.exists(path):
        return None
    lines = open(path).read().splitlines()
    try:
        i = lines.index("samples per process:")
        share, comm = lines[i + 1].split(None, 1)
    except (ValueError, IndexError):
        return None
    comm = comm.strip()
    # Its first user-space symbol ("[.]"): in a virtual machine the
    # kernel's top entry is mostly where interrupts get re-enabled, noise.
    rows = [f for f in (line.split() for line in lines[i + 1:])
            if len(f) >= 5 and f[0].endswith("%") and f[1] == comm and f[3].startswith("[")]
    pick = [f for f in rows if f[3] == "[.]"] or rows
    top = "`%s` (%s, %s)" % (" ".join(pick[0][4:]), pick[0][2], pick[0][0]) if pick else "-"
    return "%s (%s)" % (comm, share), top


def cmd_write(a):
    goals = json.load(open(a["goals"]))
    scenarios, scen, notes = load(a["results"], goals)
    md = a["md"]
    # Before the plots replace the PNGs: the commit's state as measured.
    facts = machine(a.get("load_start"))
    png_dir = os.path.join(os.path.dirname(os.path.abspath(md)), "perf")
    os.makedirs(png_dir, exist_ok=True)
    for old in os.listdir(png_dir):
        if old.endswith(".png"):
            os.remove(os.path.join(png_dir, old))
    tmp = tempfile.mkdtemp(prefix="lrc-bench-plot-")
    try:
        pngs = make_plots(scenarios, png_dir, tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    L = []
    w = L.append
    w("# Performance")
    w("")
    w("Generated by `scripts/bench%s` (bench/report.py); do not edit by hand."
      % (" --quick" if a["mode"] == "quick" else ""))
    w("Every goal is a ratio to a baseline measured in the same run (or an absolute limit),")
    w("so the numbers compare across machines only as ratios.")
    w("On a shared machine the load changes within seconds: a goal's scenario and its baseline")
    w("are measured interleaved by the same program (bench/client_latency.c: rounds of one block")
    w("per scenario, the order rotated every round; bench/kit_cost.py: a State round trip after")
    w("each Echo; bench/sched.c: the hand-off floor just before and just after 6a), and a ratio")
    w("is the ratio of the medians of those interleaved samples. The raw samples are kept")
    w("(results.jsonl of the run).")
    w("")
    w("## Machine")
    w("")
    w("| | |")
    w("|---|---|")
    for k, v in facts:
        w("| %s | %s |" % (k, v))
    w("")
    w("## Goals")
    w("")
    w("| goal | what | measured | baseline (same run) | verdict |")
    w("|---|---|---|---|---|")
    rows = [evaluate(g, scen) for g in goals["goals"]]
    for r in rows:
        g = r["goal"]
        w("| %s | %s | %s | %s | %s |" % (g["id"], g["text"], r["metric"] or "-", r["baseline"] or "-", r["verdict"]))
    missed = [r for r in rows if r.get("missed")]
    unmeasured = [r for r in rows if r["verdict"].startswith("not measured")]
    w("")
    w("%d goals met, %d missed, %d not measured, %d reported without a limit." % (
        sum(1 for r in rows if r["verdict"].startswith("met")), len(missed), len(unmeasured),
        sum(1 for r in rows if r["verdict"].startswith("reported"))))
    w("")
    w("## Scenario programs")
    w("")
    w("| program | outcome | seconds | command |")
    w("|---|---|---|---|")
    for name, status, secs, cmd in read_programs(a["programs"]):
        w("| %s | %s | %s | `%s` |" % (name, status, secs, cmd))
    w("")
    w("## Scenarios")
    w("")
    w("Nearest-rank percentiles of every sample. Baseline: the State round trip measured by")
    w("the same program (bench/goals.json, default_baselines); ratio = median / its median.")
    w("")
    w("| scenario | what | unit | n | median | p90 | p99 | max | baseline | ratio |")
    w("|---|---|---|---|---|---|---|---|---|---|")
    for s in scenarios:
        b = baseline_for(s.id, goals, scen)
        ratio = "-"
        if b:
            try:
                bv = convert(scen[b].stat("median"), scen[b].unit, s.unit)
                ratio = "%.2fx" % (s.stat("median") / bv) if bv else "-"
            except ValueError:
                b = None  # not a time: no baseline
        if s.samples:
            cells = [fmt(s.stat(k)) for k in STATS]
            n = str(len(s.samples))
        else:
            cells = [fmt(s.stat("value")), "", "", ""]
            n = "value" if len(s.values) == 1 else "%d values" % len(s.values)
        w("| %s | %s | %s | %s | %s | %s | %s |" % (
            s.id, s.label.replace("|", "/"), s.unit, n, " | ".join(cells), b or "-", ratio))
    expected = sorted({g["metric"]["scenario"] for g in goals["goals"]} |
                      {g["baseline"]["scenario"] for g in goals["goals"] if g.get("baseline")})
    absent = [e for e in expected if not matching(e, scen)]
    if absent:
        w("")
        w("Not measured in this run (no program printed them): %s." % ", ".join("`%s`" % e for e in absent))
    if notes:
        w("")
        w("Notes from the programs:")
        w("")
        for prog, sid, text in notes:
            w("- %s `%s`: %s" % (prog, sid, text))
    w("")
    w("## Plots")
    w("")
    if not pngs:
        w("No scenario had samples to plot.")
    for png, caption in pngs:
        w("%s:" % caption)
        w("")
        w("![%s](perf/%s)" % (caption, png))
        w("")
    w("## Profiles")
    w("")
    w("For every missed goal, `scripts/bench` re-runs the programs whose scenarios the goal")
    w("compares (quick arguments) under `perf record -g`, the program with its children and,")
    w("separately, the demo device servers (bench/profile.sh). A CPU profile shows where CPU")
    w("time goes; time spent waiting (network round trips, sleeps, lock waits) does not")
    w("appear in it, so a latency miss whose profiles are mostly idle is bound by waiting.")
    w("These quick runs are short: their start-up (the dynamic loader relocating cppTango")
    w("and omniORB, the first connections) is part of them and may top the table below.")
    w("The steady-state sections after it have no start-up in them: they say what one")
    w("iteration of the goal's loop costs and where its CPU time goes.")
    w("")
    pdir = a["profiles"]
    if not missed:
        w("No goal was missed: no profile needed.")
    else:
        w("| goal | verdict | program | busiest process (share of CPU samples) | its top user-space symbol (self, start-up included) |")
        w("|---|---|---|---|---|")
    profiled = []
    for r in missed:
        for prog in r["programs"] or ["-"]:
            busy = busiest(os.path.join(pdir, "%s.program.txt" % prog)) if pdir else None
            if busy and prog not in profiled:
                profiled.append(prog)
            w("| %s | %s | %s | %s | %s |" % (
                r["goal"]["id"], r["verdict"], prog,
                busy[0] if busy else "no profile recorded (`scripts/bench --profile`)",
                busy[1] if busy else "-"))
    limits = [(r["goal"]["id"], r["goal"]["limited_by"]) for r in missed
              if r["goal"].get("limited_by")]
    if limits:
        w("")
        w("### What limits each miss")
        w("")
        w("From the profiles and the steady-state figures below (the text is bench/goals.json's")
        w("`limited_by` of the goal, written from the profiles of earlier runs; it is shown only")
        w("when the goal is missed).")
        w("")
        for gid, text in limits:
            w("- **%s**: %s" % (gid, text))
    steady_rows = []
    for r in missed:
        heads = [(p, sid, read_steady(pdir, sid)) for p, sid in steady_scenarios(r)]
        if not any(h for _, _, h in heads):
            continue
        has_base = bool(r["goal"].get("baseline"))
        base = heads[1][2] if has_base and len(heads) > 1 and heads[1][2] else None
        for p, sid, h in heads:
            if not h:
                continue
            ratio = "-"
            if base and h is not base and "cpu_per_op_us" in h and "cpu_per_op_us" in base:
                try:
                    ratio = "%.2fx" % (float(h["cpu_per_op_us"]) / float(base["cpu_per_op_us"]))
                except (ValueError, ZeroDivisionError):
                    pass
            steady_rows.append("| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |" % (
                r["goal"]["id"], sid, h.get("ops", "-"), h.get("wall_per_op_us", "-"),
                h.get("cpu_per_op_us", "-"), ratio, h.get("cs_per_op", "-"),
                h.get("migrations_per_op", "-"), h.get("servers_cpu_per_op_us", "-"),
                h.get("servers_syscalls_per_op", "-"), h.get("servers_cs_per_op", "-")))
    if steady_rows:
        w("")
        w("### Steady state")
        w("")
        w("Each scenario a missed goal compares, run alone after its warm-up for some seconds")
        w("with perf switched on only then (`bench/profile.sh --steady`): no start-up in it.")
        w("Per iteration of its loop (one command, one LRC, one State): wall time, CPU time of")
        w("all the program's threads (`perf stat` task-clock; less noisy than wall time on a")
        w("shared machine), that CPU time against the goal's baseline scenario, context")
        w("switches (each a thread hop or a sleep) and CPU migrations; then, counted in a")
        w("run of their own over the same window (`perf stat -p`), what the demo device")
        w("servers spent per iteration: CPU time, system calls and context switches (a")
        w("loop's cost may lie in the server it calls rather than in the program).")
        w("")
        w("| goal | scenario | iterations | wall us / op | CPU us / op | CPU vs baseline | context switches / op | migrations / op | servers: CPU us / op | servers: system calls / op | servers: context switches / op |")
        w("|---|---|---|---|---|---|---|---|---|---|---|")
        for line in steady_rows:
            w(line)
    done = set()
    for r in missed:
        for _, sid in steady_scenarios(r):
            path = os.path.join(pdir, "steady.%s.txt" % sid) if pdir else ""
            if sid in done or not read_steady(pdir, sid):
                continue  # not run, or a program without a steady loop
            done.add(sid)
            w("")
            w("### `%s`, steady state" % sid)
            w("")
            w("```")
            w(open(path).read().rstrip())
            w("```")
    for prog in profiled:
        w("")
        w("### `%s`" % prog)
        for part, what in (("program", "the program and its children (servers it starts included)"),
                           ("servers", "the demo device servers scripts/bench started")):
            f = os.path.join(pdir, "%s.%s.txt" % (prog, part))
            if os.path.exists(f):
                w("")
                w(what[0].upper() + what[1:] + ":")
                w("")
                w("```")
                w(open(f).read().rstrip())
                w("```")
    with open(md, "w") as f:
        f.write("\n".join(L).rstrip() + "\n")
    print("report.py: wrote %s (%d scenarios, %d goals: %d missed, %d not measured) and %d plots in %s"
          % (md, len(scenarios), len(rows), len(missed), len(unmeasured), len(pngs), png_dir))
    return 0


def main(argv):
    if len(argv) == 4 and argv[0] == "ingest":
        return cmd_ingest(*argv[1:])
    if len(argv) == 3 and argv[0] == "steady":
        return cmd_steady(*argv[1:])
    if len(argv) == 3 and argv[0] == "misses":
        return cmd_misses(*argv[1:])
    if argv and argv[0] == "write":
        a, i = {"profiles": "", "load_start": ""}, 1
        while i + 1 < len(argv) and argv[i].startswith("--"):
            a[argv[i][2:].replace("-", "_")] = argv[i + 1]
            i += 2
        if i == len(argv) and all(k in a for k in ("results", "goals", "programs", "md", "mode")):
            return cmd_write(a)
    sys.stderr.write(__doc__.split("\n\n")[1] + "\n")
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
