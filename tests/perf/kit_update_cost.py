#!/usr/bin/python3
"""kit_update_cost.py - what one update of a kit device costs after a long
history of large results (issue 10, item 11). Not a test: it prints times.

    eval "$(scripts/tango-db env)"
    /usr/bin/python3 tests/perf/kit_update_cost.py build/examples/demo-device/lrc-demo-device

Registers a demo device, fills lrcFinished with 100 Echos of 64 KB, then
times the submission of one Echo (the command's round trip) and a 0.1 s
Sleep with progress (submission to COMPLETED), each a few times, and
unregisters the device. The device runs with SubscriberHold=0 and nobody
subscribed, so what is timed is the kit's own work.
"""
import os
import subprocess
import sys
import time

import tango

exe = os.path.abspath(sys.argv[1])
inst = "kitperf%d" % os.getpid()
dev_name = "test/kitperf/%s" % inst
server = "%s/%s" % (os.path.basename(exe), inst)

subprocess.run(["tango_admin", "--add-server", server, "LrcDemo", dev_name], check=True)
subprocess.run(["tango_admin", "--add-property", dev_name, "SubscriberHold", "0"], check=True)
proc = subprocess.Popen([exe, inst, "-ORBendPoint", "giop:tcp:127.0.0.1:"],
                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
try:
    dev = None
    for _ in range(200):
        try:
            dev = tango.DeviceProxy(dev_name)
            dev.ping()
            break
        except tango.DevFailed:
            time.sleep(0.1)
    dev.set_timeout_millis(30000)

    def wait(cid):
        while dev.CheckLongRunningCommandStatus(cid) not in ("COMPLETED", "FAILED", "ABORTED"):
            time.sleep(0.005)

    def echo_cost(arg):
        t0 = time.monotonic()
        _, (cid,) = dev.Echo(arg)
        t1 = time.monotonic()
        wait(cid)
        return t1 - t0

    def sleep_cost():
        t0 = time.monotonic()
        _, (cid,) = dev.Sleep(0.1)
        wait(cid)
        return time.monotonic() - t0

    def report(label):
        e = sorted(echo_cost("x") for _ in range(5))
        s = sorted(sleep_cost() for _ in range(3))
        print("%-28s Echo submit median %.4f s (min %.4f); Sleep 0.1 s median %.3f s"
              % (label, e[2], e[0], s[1]), flush=True)

    report("empty history:")
    big = "y" * 65000
    t0 = time.monotonic()
    for i in range(int(os.environ.get("N", "100"))):
        (code,), (cid,) = dev.Echo(big)
        while code == 5:  # queue full (a fast device): wait, then again
            time.sleep(0.01)
            (code,), (cid,) = dev.Echo(big)
        if os.environ.get("V"):
            print(i, time.monotonic() - t0, flush=True)
    wait(cid)
    print("100 Echos of 64 KB took %.2f s" % (time.monotonic() - t0), flush=True)
    report("after 100 x 64 KB:")
finally:
    proc.terminate()
    proc.wait(timeout=20)
    subprocess.run(["tango_admin", "--delete-server", server], check=False)
