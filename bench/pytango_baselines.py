#!/usr/bin/python3
"""What Python users have today: PyTango baselines for scripts/bench.

    bench/pytango_baselines.py [--quick] DEVICE

DEVICE is a running LRC device (the demo device or any ska-tango-base one)
with an Echo command. Prints one JSON object per line (the format of
scripts/bench's scenario programs), times in ms:

  py.state_rtt          DeviceProxy.state(): one round trip, nothing else
  py.raw_presubscribed  Echo -> COMPLETED on _lrcEvent, the stream subscribed
                        once beforehand (the floor of any Python LRC client)
  py.subscribe_per_call subscribe _lrcEvent, Echo, wait for the final event,
                        unsubscribe: what ska's invoke_lrc does without a
                        pre-connected interface

Calls are timed with perf_counter from just before the request to the
moment the final event is seen in the callback (the callback thread stamps
it, so the waiting thread's wake-up is not counted); subscribe-per-call up
to the return of unsubscribe_event, since the next call starts after it.
"""
import json
import sys
import threading
import time

import tango

FINAL = (3, 5, 6, 7)  # ABORTED, COMPLETED, REJECTED, FAILED
WAIT_S = 10.0


def emit(scenario, label, samples):
    print(json.dumps({"scenario": scenario, "label": label, "unit": "ms",
                      "samples": [round(s * 1e3, 4) for s in samples]}), flush=True)


class Finals:
    """Final-event times by command ID, stamped in PyTango's callback."""

    def __init__(self):
        self.cv = threading.Condition()
        self.when = {}

    def cb(self, ev):
        if ev.err or ev.attr_value is None or ev.attr_value.value is None:
            return
        cid, text = ev.attr_value.value
        try:
            status = json.loads(text).get("status")
        except ValueError:
            return
        if status in FINAL:
            t = time.perf_counter()
            with self.cv:
                self.when[cid] = t
                self.cv.notify_all()

    def wait(self, cid):
        with self.cv:
            if not self.cv.wait_for(lambda: cid in self.when, WAIT_S):
                raise RuntimeError("no final _lrcEvent for %s within %g s" % (cid, WAIT_S))
            return self.when.pop(cid)


def echo(proxy):
    _, (cid,) = proxy.command_inout("Echo", "x")
    return cid


def state_rtt(proxy, n):
    out = []
    for _ in range(n):
        t0 = time.perf_counter()
        proxy.state()
        out.append(time.perf_counter() - t0)
    return out


def raw_presubscribed(proxy, n, warmup):
    finals = Finals()
    sub = proxy.subscribe_event("_lrcEvent", tango.EventType.CHANGE_EVENT, finals.cb)
    try:
        # Past the device's hold for fresh subscribers (SubscriberHold,
        # 0.1 s by default): what is timed is a stream already in place.
        time.sleep(0.5)
        out = []
        for i in range(warmup + n):
            t0 = time.perf_counter()
            t1 = finals.wait(echo(proxy))
            if i >= warmup:
                out.append(t1 - t0)
        return out
    finally:
        proxy.unsubscribe_event(sub)


def subscribe_per_call(proxy, n, warmup):
    out = []
    for i in range(warmup + n):
        finals = Finals()
        t0 = time.perf_counter()
        sub = proxy.subscribe_event("_lrcEvent", tango.EventType.CHANGE_EVENT, finals.cb)
        finals.wait(echo(proxy))
        # The unsubscription is part of a call's cost: the next sequential
        # call starts after it.
        proxy.unsubscribe_event(sub)
        if i >= warmup:
            out.append(time.perf_counter() - t0)
    return out


def main(argv):
    quick = "--quick" in argv
    args = [a for a in argv if a != "--quick"]
    if len(args) != 1:
        sys.stderr.write(__doc__.split("\n\n")[1] + "\n")
        return 2
    proxy = tango.DeviceProxy(args[0])
    proxy.set_timeout_millis(10000)
    n_state, n_raw, n_spc, warm = (100, 50, 5, 3) if quick else (2000, 1000, 100, 20)
    state_rtt(proxy, warm)
    emit("py.state_rtt", "PyTango: State round trip", state_rtt(proxy, n_state))
    emit("py.raw_presubscribed", "PyTango: Echo -> COMPLETED, _lrcEvent pre-subscribed",
         raw_presubscribed(proxy, n_raw, warm))
    emit("py.subscribe_per_call",
         "PyTango: subscribe _lrcEvent + Echo + final + unsubscribe (invoke_lrc without connect)",
         subscribe_per_call(proxy, n_spc, 1 if quick else 5))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
