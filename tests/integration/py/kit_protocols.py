"""PyTango side of it_kit_protocols: what a PyTango client sees of kit devices
of one class with different LrcProtocolVersions in one server, and of a
progress update with context.

    /usr/bin/python3 kit_protocols.py lists DEVICE...
        prints {"DEVICE": [attribute names, sorted], ...} (get_attribute_list)
    /usr/bin/python3 kit_protocols.py heat DEVICE CELSIUS
        subscribes to _lrcEvent, runs Heat(CELSIUS), prints the JSON list of
        the decoded _lrcEvent payloads of that command, to its end

A ska client (ska-tango-base's invoke_lrc) hands every key of a payload to
its callback as a keyword argument; the payloads printed are exactly what it
would pass. Exits 1 (with the reason) on a timeout."""
import json
import queue
import sys
import time

import tango

TERMINAL = {3, 4, 5, 6, 7}  # ABORTED, NOT_FOUND, COMPLETED, REJECTED, FAILED


def lists(devices):
    out = {}
    for name in devices:
        out[name] = sorted(tango.DeviceProxy(name).get_attribute_list())
    print(json.dumps(out))


def heat(device, celsius):
    proxy = tango.DeviceProxy(device)
    events = queue.Queue()

    def on_event(ev):
        if not ev.err and ev.attr_value is not None and ev.attr_value.value:
            events.put(list(ev.attr_value.value))

    sub = proxy.subscribe_event("_lrcEvent", tango.EventType.CHANGE_EVENT, on_event)
    try:
        codes, ids = proxy.command_inout("Heat", celsius)
        cid = ids[0]
        payloads = []
        end = time.monotonic() + 20
        while time.monotonic() < end:
            try:
                ev_id, text = events.get(timeout=0.5)
            except queue.Empty:
                continue
            if ev_id != cid:
                continue
            payload = json.loads(text)
            payloads.append(payload)
            if payload.get("status") in TERMINAL:
                print(json.dumps(payloads))
                return 0
        print(f"timed out; payloads so far: {payloads!r}", file=sys.stderr)
        return 1
    finally:
        proxy.unsubscribe_event(sub)


def main(argv):
    if len(argv) >= 3 and argv[1] == "lists":
        lists(argv[2:])
        return 0
    if len(argv) == 4 and argv[1] == "heat":
        return heat(argv[2], float(argv[3]))
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
