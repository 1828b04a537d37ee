#!/usr/bin/python3
"""What an update of a kit device costs, against how much history it has
(issue 11): does a submission cost the same with 0, 100 and 10,000 commands
behind it, and with large results among them?

  bench/kit_cost.py [--quick] DEMO_DEVICE_EXE
  bench/kit_cost.py --steady kit.echo_complete_raw --seconds S DEMO_DEVICE_EXE

Starts one demo device server with two devices (by PID, via
scripts/devserver, on the test database: scripts/tango-db up), measures,
stops it and unregisters it:

  COST   default settings (MaxQueuedTasks 32, lrcFinished keeps the last
         100, the v1 lists 66 within RemovalTime 10 s). For each history H
         (0, 100, 10000; --quick: 0, 100), in one interleaved loop: a
         `State` round trip (of the idle FLOOD device, whose lock the COST
         device's pushes never hold), an AbortCommands round trip of that
         idle device (the floor of a command with Echo's
         DevVarLongStringArray reply: nothing to abort, nothing pushed), the
         reply of an Echo submission, and Echo invoke -> COMPLETED seen on
         `_lrcEvent` by a raw PyTango client subscribed long before. The
         next call starts only after the previous command's COMPLETED
         arrived. "h0" uses 10 fresh devices (3 with --quick) in turn, 10
         calls each: each has 0 to 9 commands behind it. Before h100 and
         h10000 the device's lists are read: they must hold what it is
         configured to keep ("kit.kept_*"; the run fails otherwise). Then
         "kept.h10000" (full mode): a device that keeps all 10,000 in its v1
         lists (MaxQueuedTasks 5000, RemovalTime 1 h), where every walk
         over the history would show. Then the same after 100 Echos of 64
         KB ("big"), and once more with a second client subscribed to
         every other LRC attribute ("watched": the lists are then pushed
         and sent).
  FLOOD  MaxQueuedTasks 1000: _lrcEvent events/s one device pushes to a
         subscribed client while it runs a burst of Echos; submissions/s it
         accepts while its worker is busy, until the queue is full.

--steady (for a profiler, bench/steady.h): one fresh device in its own
server, a raw client subscribed to its _lrcEvent, Echo -> COMPLETED in a
loop for S seconds after a warm-up, perf switched on only then (through
LRC_BENCH_PERF_CTL / _ACK); the device server is a child of this program,
so a profile of the program covers the kit's side too.

Output: one JSON object per line on stdout (the bench harness collects
them): {"scenario", "label", "unit": "ms", "samples": [...]} or
{"scenario", "label", "unit", "value"}; points of a cost-vs-history plot
carry "x" (the history) and "series". Progress goes to stderr. Time ratios
are taken against `State` measured in the same run (the machine is shared:
absolute times are noisy).
"""
import json
import os
import statistics
import subprocess
import sys
import threading
import time

# Tango drops events beyond the ZeroMQ high-water mark (1000 by default).
os.environ.setdefault("TANGO_EVENT_BUFFER_HWM", "100000")
os.environ.setdefault("TANGO_DS_EVENT_BUFFER_HWM", "100000")

import tango  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TAG = "kitcost%d" % os.getpid()
FINAL = (3, 5, 6, 7)
WATCHED = ("lrcQueue", "lrcExecuting", "lrcFinished", "longRunningCommandStatus",
           "longRunningCommandProgress", "longRunningCommandResult",
           "longRunningCommandsInQueue", "longRunningCommandIDsInQueue",
           "longRunningCommandInProgress", "commandedState")  # ABORTED, COMPLETED, FAILED, REJECTED


def log(*a):
    print(*a, file=sys.stderr, flush=True)


def emit(**point):
    print(json.dumps(point), flush=True)


def devserver(*args):
    subprocess.run([os.path.join(ROOT, "scripts", "devserver")] + list(args), check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


class Stream:
    """A raw pre-subscribed _lrcEvent client: when each command ended."""

    def __init__(self, proxy):
        self.proxy = proxy
        self.cv = threading.Condition()
        self.final = {}
        self.count = 0
        self.sub = proxy.subscribe_event("_lrcEvent", tango.EventType.CHANGE_EVENT, self.cb)

    def cb(self, ev):
        now = time.perf_counter()
        if ev.err or ev.attr_value is None or ev.attr_value.value is None:
            return
        cid, text = ev.attr_value.value
        with self.cv:
            self.count += 1
            if json.loads(text).get("status") in FINAL:
                self.final[cid] = now
                self.cv.notify_all()

    def wait(self, cid, timeout=30):
        with self.cv:
            if not self.cv.wait_for(lambda: cid in self.final, timeout):
                raise RuntimeError("no final event for " + cid)
            return self.final.pop(cid)

    def close(self):
        self.proxy.unsubscribe_event(self.sub)


def submit(proxy, arg):
    """Echo(arg), again while the queue is full; returns the ID."""
    while True:
        (code,), (cid,) = proxy.command_inout("Echo", arg)
        if code != 5:  # REJECTED: the queue is full
            return cid
        time.sleep(0.002)


def fill(proxy, stream, n, arg="x"):
    """Runs n Echos as fast as the queue takes them; waits for the last."""
    cid = None
    for _ in range(n):
        cid = submit(proxy, arg)
    if cid:
        stream.wait(cid, 120)
    with stream.cv:
        stream.final.clear()


def ms(samples):
    return [round(s * 1e3, 4) for s in samples]


def measure(proxy, ref, stream, calls, history, tag, label, others=()):
    """`calls` rounds on proxy; with `others` ((proxy, stream) pairs of fresh
    devices), the rounds go to each of them in turn, calls / len(others)
    in a row, so that every device has fewer than that behind it. (Round
    robin over them measured cold devices instead: each call found its
    device's threads asleep since the previous round.)"""
    state, dvlsa, sub, done = [], [], [], []
    targets = list(others) or [(proxy, stream)]
    per = -(-calls // len(targets))
    for i in range(calls):
        proxy, stream = targets[i // per]
        t0 = time.perf_counter()
        ref.command_inout("State")
        state.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        ref.command_inout("AbortCommands")
        dvlsa.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        _, (cid,) = proxy.command_inout("Echo", "x")
        sub.append(time.perf_counter() - t0)
        done.append(stream.wait(cid) - t0)
    extra = {"x": history} if tag == "" else {}
    emit(scenario="kit.state_rtt.%sh%d" % (tag, history), label="State round trip, " + label,
         unit="ms", samples=ms(state), series=tag + "state", **extra)
    emit(scenario="kit.dvlsa_rtt.%sh%d" % (tag, history),
         label="AbortCommands round trip (idle, DevVarLongStringArray reply), " + label,
         unit="ms", samples=ms(dvlsa), series=tag + "dvlsa", **extra)
    emit(scenario="kit.echo_submit.%sh%d" % (tag, history),
         label="Echo submission reply, " + label, unit="ms", samples=ms(sub),
         series=tag + "echo_submit", **extra)
    emit(scenario="kit.echo_complete.%sh%d" % (tag, history),
         label="Echo invoke -> COMPLETED on a pre-subscribed client, " + label, unit="ms",
         samples=ms(done), series=tag + "echo_complete", **extra)
    ratio = statistics.median(sub) / statistics.median(state)
    emit(scenario="kit.echo_submit_vs_state.%sh%d" % (tag, history),
         label="Echo submission reply / State round trip (medians), " + label, unit="ratio",
         value=round(ratio, 3), series=tag + "submit_vs_state", **extra)
    floor = statistics.median(dvlsa) / statistics.median(state)
    emit(scenario="kit.dvlsa_vs_state.%sh%d" % (tag, history),
         label="AbortCommands round trip / State round trip (medians), " + label, unit="ratio",
         value=round(floor, 3), series=tag + "dvlsa_vs_state", **extra)
    log("%-28s State %.3f ms, AbortCommands %.3f ms (x%.2f), submit %.3f ms (x%.2f), "
        "complete %.3f ms (medians)"
        % (label, statistics.median(state) * 1e3, statistics.median(dvlsa) * 1e3, floor,
           statistics.median(sub) * 1e3, ratio, statistics.median(done) * 1e3))


def kept(proxy, history, tag, want_finished, want_v1):
    """What the device keeps: lrcFinished and the v1 lists, as configured."""
    finished = len(proxy.read_attribute("lrcFinished").value or ())
    v1 = len(proxy.read_attribute("longRunningCommandIDsInQueue").value or ())
    for what, got, want in (("finished", finished, want_finished), ("v1", v1, want_v1)):
        emit(scenario="kit.kept_%s.%sh%d" % (what, tag, history),
             label="commands the device keeps in %s after %d (configured: %d)"
             % ("lrcFinished" if what == "finished" else "the v1 lists", history, want),
             unit="commands", value=got)
    log("%s%d behind: lrcFinished keeps %d (want %d), v1 lists %d (want %d)"
        % (tag, history, finished, want_finished, v1, want_v1))
    if finished != want_finished or v1 != want_v1:
        raise RuntimeError("the device does not keep its history as configured")


def events_per_s(proxy, stream, n):
    with stream.cv:
        stream.count = 0
    t0 = time.perf_counter()
    fill(proxy, stream, n)
    elapsed = time.perf_counter() - t0
    with stream.cv:
        count = stream.count
    emit(scenario="kit.events_per_s", label="_lrcEvent events/s one device pushes (Echo burst)",
         unit="events/s", value=round(count / elapsed, 1))
    log("events/s: %d events in %.3f s" % (count, elapsed))


def submissions_per_s(proxy, stream):
    _, (blocker,) = proxy.command_inout("Sleep", 30.0)
    time.sleep(0.2)  # the worker took it: the queue is empty
    accepted = 0
    t0 = time.perf_counter()
    while True:
        (code,), _ = proxy.command_inout("Echo", "x")
        if code == 5:
            break
        accepted += 1
    elapsed = time.perf_counter() - t0
    proxy.command_inout("Abort")
    stream.wait(blocker)
    emit(scenario="kit.submissions_per_s", label="Echo submissions/s accepted until the queue "
         "is full (%d queued)" % accepted, unit="submissions/s", value=round(accepted / elapsed, 1))
    log("submissions/s: %d accepted in %.3f s" % (accepted, elapsed))


def perf_control(cmd):
    """One command to perf's control FIFO, then its ack (bench/steady.c)."""
    ctl, ack = os.environ.get("LRC_BENCH_PERF_CTL"), os.environ.get("LRC_BENCH_PERF_ACK")
    if not ctl:
        return
    with open(ctl, "w") as f:
        f.write(cmd + "\n")
    if ack:  # perf answers "ack\n" and keeps the FIFO open: one read(2)
        fd = os.open(ack, os.O_RDONLY)
        try:
            os.read(fd, 16)
        finally:
            os.close(fd)


def steady(exe, scenario, seconds):
    if scenario not in ("kit.echo_complete_raw", "kit.echo_complete.h0"):
        log("kit_cost.py: no steady loop for %s" % scenario)
        sys.exit(3)
    dev = "test/kitcost/%s-s" % TAG
    devserver("start", exe, TAG, "LrcDemo", dev)
    try:
        proxy = tango.DeviceProxy(dev)
        proxy.set_timeout_millis(30000)
        stream = Stream(proxy)
        time.sleep(1.5)  # past the fresh-subscriber hold
        for _ in range(50):  # warm-up
            _, (cid,) = proxy.command_inout("Echo", "x")
            stream.wait(cid)
        perf_control("enable")
        t0, c0, ops = time.monotonic(), None, 0
        c0 = time.process_time()
        while time.monotonic() - t0 < seconds:
            _, (cid,) = proxy.command_inout("Echo", "x")
            stream.wait(cid)
            ops += 1
        secs, cpu = time.monotonic() - t0, time.process_time() - c0
        perf_control("disable")
        print(json.dumps({"steady": scenario, "ops": ops, "seconds": round(secs, 3),
                          "cpu_s": round(cpu, 4)}), flush=True)
        log("steady %s: %d ops in %.2f s, %.1f us CPU per op (client only)"
            % (scenario, ops, secs, cpu * 1e6 / max(ops, 1)))
        stream.close()
    finally:
        devserver("stop", exe, TAG)
        subprocess.run(["tango_admin", "--delete-server",
                        "%s/%s" % (os.path.basename(exe), TAG)], check=False,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def main():
    argv = sys.argv[1:]
    if "--steady" in argv:
        try:
            i, j = argv.index("--steady"), argv.index("--seconds")
            scenario, seconds = argv[i + 1], float(argv[j + 1])
            rest = [a for k, a in enumerate(argv) if k not in (i, i + 1, j, j + 1)]
        except (ValueError, IndexError):
            sys.exit(__doc__.split("\n\n")[1])
        rest = [a for a in rest if a != "--quick"]
        if len(rest) != 1 or not seconds > 0:
            sys.exit(__doc__.split("\n\n")[1])
        steady(os.path.abspath(rest[0]), scenario, seconds)
        return
    args = [a for a in sys.argv[1:] if a != "--quick"]
    quick = "--quick" in sys.argv[1:]
    if len(args) != 1:
        sys.exit(__doc__.split("\n\n")[1])
    exe = os.path.abspath(args[0])
    cost, flood = "test/kitcost/%s-c" % TAG, "test/kitcost/%s-f" % TAG
    # Fresh devices for "0 behind": each takes a few calls only. "kept"
    # keeps 10,000 finished commands in its v1 lists (MaxQueuedTasks 5000:
    # status queue 10,002; RemovalTime 1 h), so its history really is there.
    fresh = ["test/kitcost/%s-z%d" % (TAG, i) for i in range(3 if quick else 10)]
    keep = "test/kitcost/%s-k" % TAG
    devs = [cost, flood] + fresh + ([] if quick else [keep])
    devserver("start", exe, TAG, "LrcDemo", ",".join(devs[:-1] if not quick else devs),
              flood + ":MaxQueuedTasks=1000")
    # In its own server: devices of one class in one server share each
    # dynamic attribute's maximum length, that of the first device (32
    # queued: 66 items), which would refuse its 10,000-item v1 lists.
    if not quick:
        devserver("start", exe, TAG + "k", "LrcDemo", keep, "MaxQueuedTasks=5000",
                  "RemovalTime=3600")
    try:
        proxies = {d: tango.DeviceProxy(d) for d in devs}
        for p in proxies.values():
            p.set_timeout_millis(30000)
        streams = {d: Stream(p) for d, p in proxies.items()}
        time.sleep(1.5)  # past the fresh-subscriber hold: nothing is held
        p, s, ref = proxies[cost], streams[cost], proxies[flood]
        calls = 30 if quick else 300
        measure(p, ref, s, len(fresh) * 10, 0, "", "0..9 behind (%d fresh devices)" % len(fresh),
                others=[(proxies[d], streams[d]) for d in fresh])
        fill(p, s, 100)
        kept(p, 100, "", 100, 66)
        measure(p, ref, s, calls, 100, "", "100 behind")
        if not quick:
            fill(p, s, 10000 - 100 - calls)
            kept(p, 10000, "", 100, 66)
            measure(p, ref, s, calls, 10000, "", "10,000 behind")
            kp, ks = proxies[keep], streams[keep]
            fill(kp, ks, 10000)
            kept(kp, 10000, "kept.", 100, 10000)
            measure(kp, ref, ks, calls, 10000, "kept.", "10,000 behind, all kept in the v1 lists")
        fill(p, s, 100, "y" * 65000)
        measure(p, ref, s, calls, 100, "big.", "100 x 64 KB behind")
        watcher = tango.DeviceProxy(cost)
        subs = [watcher.subscribe_event(a, tango.EventType.CHANGE_EVENT, lambda e: None)
                for a in WATCHED]
        time.sleep(1.5)  # past the fresh-subscriber hold
        measure(p, ref, s, calls // 3, 100, "big.watched.",
                "100 x 64 KB behind, every list watched")
        for i in subs:
            watcher.unsubscribe_event(i)
        fp, fs = proxies[flood], streams[flood]
        events_per_s(fp, fs, 200 if quick else 2000)
        submissions_per_s(fp, fs)
        for st in streams.values():
            st.close()
    finally:
        for tag in [TAG] + ([] if quick else [TAG + "k"]):
            devserver("stop", exe, tag)
            subprocess.run(["tango_admin", "--delete-server",
                            "%s/%s" % (os.path.basename(exe), tag)], check=False,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


if __name__ == "__main__":
    main()
