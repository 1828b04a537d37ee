#!/usr/bin/python3
"""What the fresh-subscriber hold costs clients whose streams were already
subscribed (docs/protocol.md, "Fresh subscribers").

Two demo devices in two servers, measured in the same run, interleaved:
HELD with the default SubscriberHold, BASE with SubscriberHold=0 (the kit
as it was: every push at once). A pre-subscribed PyTango client calls Echo
and times the call -> final `_lrcEvent` (COMPLETED). Scenarios:

  quiet   nobody else uses the devices;
  churn   a second client, in its own process, subscribes, calls Echo and
          unsubscribes in a loop on the same device (ska's invoke_lrc without
          a pre-connected interface): HELD holds the commands created
          within SubscriberHold of each of its subscriptions.

  bench/hold_cost.py DEMO_DEVICE_EXE [CALLS]       (CALLS per scenario and
                                                    device, default 400)

Prints median / p90 / p99 / max per scenario and device, and the ratio
HELD / BASE of the medians. Starts and stops its own servers (by PID, via
scripts/devserver) on the test database (scripts/tango-db up).
"""
import json
import os
import subprocess
import sys
import threading
import time

import tango

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TAG = "hc%d" % os.getpid()


def devserver(*args):
    subprocess.run([os.path.join(ROOT, "scripts", "devserver")] + list(args), check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


class Waiter:
    """One pre-subscribed stream; waits for a command's final event."""

    def __init__(self, proxy):
        self.proxy = proxy
        self.cv = threading.Condition()
        self.final = {}
        self.sub = proxy.subscribe_event("_lrcEvent", tango.EventType.CHANGE_EVENT, self.cb)

    def cb(self, ev):
        if ev.err or ev.attr_value is None or ev.attr_value.value is None:
            return
        cid, text = ev.attr_value.value
        if json.loads(text).get("status") in (3, 5, 6, 7):
            with self.cv:
                self.final[cid] = time.perf_counter()
                self.cv.notify_all()

    def call(self):
        t0 = time.perf_counter()
        _, (cid,) = self.proxy.command_inout("Echo", "x")
        with self.cv:
            if not self.cv.wait_for(lambda: cid in self.final, 5):
                raise RuntimeError("no final event for " + cid)
            return self.final.pop(cid) - t0


def churn(device, stop):
    """ska's invoke_lrc without connect_lrc_interface, in a loop."""
    code = r'''
import sys, time, tango
p = tango.DeviceProxy(sys.argv[1])
end = time.monotonic() + float(sys.argv[2])
while time.monotonic() < end:
    i = p.subscribe_event("_lrcEvent", tango.EventType.CHANGE_EVENT, lambda e: None)
    p.command_inout("Echo", "churn")
    time.sleep(0.02)
    p.unsubscribe_event(i)
'''
    return subprocess.Popen(["/usr/bin/python3", "-c", code, device, str(stop)])


def stats(xs):
    xs = sorted(xs)
    q = lambda f: xs[min(len(xs) - 1, int(f * len(xs)))] * 1e3
    return q(0.5), q(0.9), q(0.99), xs[-1] * 1e3


def main():
    exe = sys.argv[1]
    calls = int(sys.argv[2]) if len(sys.argv) > 2 else 400
    held, base = "bench/hold/%sheld" % TAG, "bench/hold/%sbase" % TAG
    devserver("start", exe, TAG + "h", "LrcDemo", held)
    devserver("start", exe, TAG + "b", "LrcDemo", base, "SubscriberHold=0")
    procs = []
    try:
        w = {"HELD": Waiter(tango.DeviceProxy(held)), "BASE": Waiter(tango.DeviceProxy(base))}
        time.sleep(0.3)  # past the hold of our own subscriptions
        for name in w:
            for _ in range(20):
                w[name].call()  # warm-up
        print("%-6s %-5s %8s %8s %8s %8s  (ms, Echo call -> final event, %d calls)" %
              ("", "", "median", "p90", "p99", "max", calls))
        for scenario in ("quiet", "churn"):
            if scenario == "churn":
                procs = [churn(held, 3600), churn(base, 3600)]
                time.sleep(1)
            lat = {"HELD": [], "BASE": []}
            for _ in range(calls):
                for name in ("HELD", "BASE"):
                    lat[name].append(w[name].call())
            med = {}
            for name in ("HELD", "BASE"):
                s = stats(lat[name])
                med[name] = s[0]
                print("%-6s %-5s %8.2f %8.2f %8.2f %8.2f" % ((scenario, name) + s))
            print("%-6s ratio HELD/BASE of the medians: %.2f" % (scenario, med["HELD"] / med["BASE"]))
            for p in procs:
                p.kill()
                p.wait()
            procs = []
        for x in w.values():
            x.proxy.unsubscribe_event(x.sub)
    finally:
        for p in procs:
            p.kill()
            p.wait()
        devserver("stop", exe, TAG + "h")
        devserver("stop", exe, TAG + "b")
        for inst in ("h", "b"):
            subprocess.run(["tango_admin", "--delete-server", "lrc-demo-device/" + TAG + inst,
                            "--with-properties"], stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL)


if __name__ == "__main__":
    main()
