#!/usr/bin/python3
"""Subscription churn against one device server, and what it costs the server.

One PyTango client (one DeviceProxy, as ska's client keeps) subscribes to
ATTR, optionally calls COMMAND once, and unsubscribes, CYCLES times: what
ska-tango-base's invoke_lrc does on every call without a pre-connected
interface. The server's resident set (VmRSS of PID) is sampled every EVERY
cycles.

  churn_rss.py DEVICE PID CYCLES [--attr A] [--event change|periodic]
               [--no-subscribe] [--command CMD [--arg ARG]] [--every N] [--warmup N]
               [--settle S] [--csv FILE] [--max-kb-per-cycle X]

Prints the samples and a summary line
  churn: CYCLES cycles, rss START -> END kB, after warm-up W: G kB/cycle
where G is the least-squares slope of RSS over the cycles after warm-up.

With --settle S, the client also stops for S seconds after the warm-up and
after the last cycle and then takes the lowest of 10 samples 0.5 s apart
(the "settled" RSS): what is left once the server has released what the
churn left pending (ZeroMQ frees a closed connection's buffers only when the
socket is next used: cppTango's heartbeat, every 9 s) and, in a kit server,
its trimmer has run. The sawtooth of live churn does not disturb that figure:
  settled: R0 -> R1 kB over N cycles: S kB/cycle

With --max-kb-per-cycle, exits 1 if the settled growth per cycle (with
--settle) or else G is above it.
"""
import argparse
import sys
import time

import tango


def rss_kb(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError("no VmRSS for pid %d" % pid)


def settle(pid, seconds):
    """The lowest RSS of 10 samples 0.5 s apart, after `seconds` idle."""
    time.sleep(seconds)
    low = rss_kb(pid)
    for _ in range(9):
        time.sleep(0.5)
        low = min(low, rss_kb(pid))
    return low


def slope(points):
    n = len(points)
    if n < 2:
        return 0.0
    mx = sum(x for x, _ in points) / n
    my = sum(y for _, y in points) / n
    sxx = sum((x - mx) ** 2 for x, _ in points)
    sxy = sum((x - mx) * (y - my) for x, y in points)
    return sxy / sxx if sxx else 0.0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("device")
    ap.add_argument("pid", type=int)
    ap.add_argument("cycles", type=int)
    ap.add_argument("--attr", default="_lrcEvent")
    ap.add_argument("--event", default="change", choices=("change", "periodic"))
    ap.add_argument("--no-subscribe", action="store_true",
                    help="only the command, for comparison")
    ap.add_argument("--command")
    ap.add_argument("--arg")
    ap.add_argument("--every", type=int, default=100)
    ap.add_argument("--warmup", type=int, default=200)
    ap.add_argument("--settle", type=float)
    ap.add_argument("--csv")
    ap.add_argument("--max-kb-per-cycle", type=float)
    a = ap.parse_args()

    kind = (tango.EventType.CHANGE_EVENT if a.event == "change"
            else tango.EventType.PERIODIC_EVENT)
    proxy = tango.DeviceProxy(a.device)
    proxy.ping()
    samples = [(0, rss_kb(a.pid))]
    errors = 0
    settled = []
    t0 = time.monotonic()
    for i in range(1, a.cycles + 1):
        if a.settle and i == a.warmup + 1:
            settled.append((i - 1, settle(a.pid, a.settle)))
        try:
            sid = (None if a.no_subscribe
                   else proxy.subscribe_event(a.attr, kind, lambda e: None))
            if a.command:
                if a.arg is None:
                    proxy.command_inout(a.command)
                else:
                    proxy.command_inout(a.command, a.arg)
            if sid is not None:
                proxy.unsubscribe_event(sid)
        except tango.DevFailed as e:
            errors += 1
            print("cycle %d: %s" % (i, e.args[0].desc.strip()), file=sys.stderr)
            if errors > 10:
                print("churn: too many errors", file=sys.stderr)
                return 2
        if i % a.every == 0 or i == a.cycles:
            samples.append((i, rss_kb(a.pid)))
            print("%d %d" % samples[-1], flush=True)
    secs = time.monotonic() - t0
    if a.settle:
        settled.append((a.cycles, settle(a.pid, a.settle)))
    if a.csv:
        with open(a.csv, "w") as f:
            f.write("cycle,rss_kb\n")
            for c, r in samples:
                f.write("%d,%d\n" % (c, r))
    after = [p for p in samples if p[0] >= a.warmup]
    g = slope(after)
    print("churn: %d cycles in %.0f s, rss %d -> %d kB, after warm-up %d: %.2f kB/cycle, "
          "errors %d" % (a.cycles, secs, samples[0][1], samples[-1][1], a.warmup, g, errors))
    if len(settled) == 2:
        (c0, r0), (c1, r1) = settled
        g = (r1 - r0) / float(c1 - c0)
        print("settled: %d -> %d kB over %d cycles: %.2f kB/cycle" % (r0, r1, c1 - c0, g))
    if a.max_kb_per_cycle is not None and g > a.max_kb_per_cycle:
        print("churn: FAIL: %.2f kB/cycle > %.2f" % (g, a.max_kb_per_cycle))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
