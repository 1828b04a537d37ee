"""PyTango client side of it_text: Echo and Fail with non-ASCII text against
a demo device, as a ska client sees them.

    /usr/bin/python3 latin1_client.py v2 DEVICE   # _lrcEvent and lrcFinished
    /usr/bin/python3 latin1_client.py v1 DEVICE   # longRunningCommandResult

Prints one line per check and exits 1 at the first difference from what a
ska-tango-base device gives: [0, "é °C µs"] and
[3, "Unhandled exception during execution: moteur bloqué"]."""
import json
import sys
import threading
import time

import tango

ECHO = "é °C µs"
FAIL = "moteur bloqué"
EXPECTED = {
    "Echo": (ECHO, [0, ECHO], 5),  # COMPLETED
    "Fail": (FAIL, [3, "Unhandled exception during execution: " + FAIL], 7),  # FAILED
}


def check(what, got, want):
    print(f"{what}: {got!r}")
    if got != want:
        print(f"FAIL {what}: expected {want!r}")
        sys.exit(1)


def wait_for(pred, seconds=10.0):
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if pred():
            return True
        time.sleep(0.02)
    return False


def run_v2(dev):
    events, lock = [], threading.Lock()

    def on_event(ev):
        if not ev.err and ev.attr_value is not None and ev.attr_value.value is not None:
            with lock:
                events.append(tuple(ev.attr_value.value))

    sub = dev.subscribe_event("_lrcEvent", tango.EventType.CHANGE_EVENT, on_event)
    try:
        for cmd, (arg, result, status) in EXPECTED.items():
            (code,), (cid,) = dev.command_inout(cmd, arg)
            check(f"{cmd} reply code", code, 2)

            def final():
                with lock:
                    return [json.loads(j) for i, j in events
                            if i == cid and "result" in json.loads(j)]
            if not wait_for(final):
                check(f"{cmd} _lrcEvent result", None, result)
            got = final()[-1]
            check(f"{cmd} _lrcEvent result", got["result"], result)
            check(f"{cmd} _lrcEvent status", got["status"], status)
            finished = [json.loads(s) for s in (dev.read_attribute("lrcFinished").value or [])]
            mine = [f for f in finished if f["uid"] == cid]
            check(f"{cmd} lrcFinished entries", len(mine), 1)
            check(f"{cmd} lrcFinished result", mine[0].get("result"), result)
    finally:
        dev.unsubscribe_event(sub)


def run_v1(dev):
    for cmd, (arg, result, _status) in EXPECTED.items():
        (code,), (cid,) = dev.command_inout(cmd, arg)
        check(f"{cmd} reply code", code, 2)

        def final():
            v = dev.read_attribute("longRunningCommandResult").value
            return v if v is not None and v[0] == cid else None
        if not wait_for(final):
            check(f"{cmd} longRunningCommandResult", None, result)
        got = final()
        check(f"{cmd} longRunningCommandResult", json.loads(got[1]), result)


def main():
    mode, name = sys.argv[1], sys.argv[2]
    dev = tango.DeviceProxy(name)
    {"v2": run_v2, "v1": run_v1}[mode](dev)
    print("OK")


if __name__ == "__main__":
    main()
