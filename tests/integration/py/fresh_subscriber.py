#!/usr/bin/python3
"""Fresh subscribers: the Python client's way of calling an LRC, many times.

ska-tango-base's invoke_lrc without a pre-connected interface subscribes the
LRC stream, calls the command at once, waits for the final status and
unsubscribes, on every call. ZeroMQ hands a new subscription to the device
server asynchronously, so a device that publishes at once can push a quick
command's events before the subscription has reached it. This client does
exactly that, RUNS times, against one device, and checks that every call saw
all of its command's events:

  v2: `_lrcEvent` gives STAGING, QUEUED, IN_PROGRESS, then COMPLETED with
      the result [0, ARG], in that order, each once;
  v1: longRunningCommandStatus shows the ID as STAGING, QUEUED, IN_PROGRESS,
      COMPLETED (in that order) and longRunningCommandResult gives
      [ID, "[0, ARG]"] (subscribed status, progress, result, as ska's
      client does).

  fresh_subscriber.py DEVICE v1|v2 RUNS [ARG]

Prints one line per failed run and a summary; exits 1 if any run failed.
Each run waits at most WAIT_S for its final status.
"""
import json
import sys
import threading
import time

import tango

WAIT_S = 5.0
V1_ATTRS = ("longRunningCommandStatus", "longRunningCommandProgress",
            "longRunningCommandResult")
TERMINAL = {3, 5, 6, 7}


class Run:
    """What one call saw, filled by Tango's event thread."""

    def __init__(self):
        self.lock = threading.Lock()
        self.final = threading.Event()
        self.events = []          # v2: (id, dict); v1: (attr, list)
        self.errors = []
        self.cid = None

    def callback(self, ev):
        if ev.err:
            with self.lock:
                self.errors.append(ev.errors[0].desc if ev.errors else "error")
            return
        value = ev.attr_value.value if ev.attr_value is not None else None
        if value is None:
            return            # the subscription's initial (empty) value
        name = ev.attr_name.rsplit("/", 1)[-1].lower()
        with self.lock:
            self.events.append((name, list(value)))
            self._check_final_locked()

    def _check_final_locked(self):
        if self.cid is None:
            return
        for name, value in self.events:
            if name == "_lrcevent" and value[0] == self.cid:
                if json.loads(value[1]).get("status") in TERMINAL:
                    self.final.set()
            elif name == "longrunningcommandstatus":
                pairs = dict(zip(value[0::2], value[1::2]))
                if pairs.get(self.cid) in ("COMPLETED", "FAILED", "ABORTED", "REJECTED"):
                    self.final.set()

    def set_id(self, cid):
        with self.lock:
            self.cid = cid
            self._check_final_locked()


def check_v2(run, arg):
    seen = [json.loads(v[1]) for n, v in run.events if n == "_lrcevent" and v[0] == run.cid]
    want = [{"status": 0}, {"status": 1}, {"status": 2},
            {"status": 5, "result": [0, arg]}]
    return None if seen == want else "events %r, expected %r" % (seen, want)


def check_v1(run, arg):
    statuses, results = [], []
    for name, value in run.events:
        if name == "longrunningcommandstatus":
            st = dict(zip(value[0::2], value[1::2])).get(run.cid)
            if st is not None and (not statuses or statuses[-1] != st):
                statuses.append(st)
        elif name == "longrunningcommandresult" and value and value[0] == run.cid:
            results.append(json.loads(value[1]))
    problems = []
    if statuses != ["STAGING", "QUEUED", "IN_PROGRESS", "COMPLETED"]:
        problems.append("statuses %r" % statuses)
    if results != [[0, arg]]:
        problems.append("results %r" % results)
    return "; ".join(problems) or None


def one_call(proxy, proto, arg):
    run = Run()
    attrs = ("_lrcEvent",) if proto == "v2" else V1_ATTRS
    ids = []
    try:
        for a in attrs:
            ids.append(proxy.subscribe_event(a, tango.EventType.CHANGE_EVENT, run.callback))
        reply = proxy.command_inout("Echo", arg)
        codes, texts = reply
        if int(codes[0]) != 2:
            return "Echo replied %r" % (reply,)
        run.set_id(texts[0])
        if not run.final.wait(WAIT_S):
            with run.lock:
                return "no final status within %.0f s for %s (events %r, errors %r)" % (
                    WAIT_S, run.cid, run.events, run.errors)
        with run.lock:
            return check_v2(run, arg) if proto == "v2" else check_v1(run, arg)
    finally:
        for i in ids:
            proxy.unsubscribe_event(i)


def main():
    if len(sys.argv) not in (4, 5) or sys.argv[2] not in ("v1", "v2"):
        sys.stderr.write(__doc__)
        return 2
    device, proto, runs = sys.argv[1], sys.argv[2], int(sys.argv[3])
    arg = sys.argv[4] if len(sys.argv) == 5 else "fresh"
    proxy = tango.DeviceProxy(device)
    proxy.ping()
    failed = 0
    t0 = time.monotonic()
    per_call = []
    for i in range(runs):
        t = time.monotonic()
        problem = one_call(proxy, proto, arg)
        per_call.append(time.monotonic() - t)
        if problem:
            failed += 1
            print("run %d: %s" % (i, problem), flush=True)
    per_call.sort()
    print("fresh_subscriber %s %s: runs %d, without all events %d, median call %.1f ms, "
          "max %.1f ms, total %.1f s" % (device, proto, runs, failed,
                                          1e3 * per_call[len(per_call) // 2],
                                          1e3 * per_call[-1], time.monotonic() - t0),
          flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
