"""PyTango client side of it_attributes: the author attributes of a kit
device (tests/integration/attr_device.c) as any Tango client sees them.

    /usr/bin/python3 attr_client.py DEVICE

Reads and writes every type, checks the attribute configuration (unit,
format, min/max, label), refused writes, change and archive events pushed
from a task thread with the thresholds applied, quality and an author's
timestamp. Prints one line per check; exits 1 at the first failure."""
import sys
import threading
import time

import tango

FAILED = False


def check(what, got, want):
    global FAILED
    ok = got == want
    print(f"{'ok  ' if ok else 'FAIL'} {what}: {got!r}" + ("" if ok else f" (expected {want!r})"))
    if not ok:
        FAILED = True


def as_list(v):
    if v is None:
        return []
    return [x.item() if hasattr(x, "item") else x for x in v]


def wait_for(pred, seconds=10.0):
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if pred():
            return True
        time.sleep(0.02)
    return False


class Recorder:
    def __init__(self):
        self.lock = threading.Lock()
        self.events = []

    def push_event(self, ev):
        with self.lock:
            if ev.err:
                self.events.append(("error", ev.errors[0].reason))
            else:
                a = ev.attr_value
                self.events.append((a.value, a.quality, a.time.totime()))

    def values(self):
        with self.lock:
            return [e[0] for e in self.events]

    def snapshot(self):
        with self.lock:
            return list(self.events)


def run_lrc(dp, cmd, arg):
    (code,), (cid,) = dp.command_inout(cmd, arg)
    check(f"{cmd} queued", int(code), 2)  # ResultCode.QUEUED
    done = wait_for(lambda: dp.CheckLongRunningCommandStatus(cid) == "COMPLETED")
    check(f"{cmd} completed", done, True)


def main():
    dp = tango.DeviceProxy(sys.argv[1])

    # ---- reads and writes of every type --------------------------------
    check("flag initial", dp.read_attribute("flag").value, False)
    dp.write_attribute("flag", True)
    check("flag written", dp.read_attribute("flag").value, True)

    dp.write_attribute("count", 7)
    check("count written", dp.read_attribute("count").value, 7)
    for bad, why in ((2000, "API_WAttrOutsideLimit"), (-1, "API_WAttrOutsideLimit")):
        try:
            dp.write_attribute("count", bad)
            check(f"count {bad} refused", "accepted", why)
        except tango.DevFailed as e:
            check(f"count {bad} refused", any(d.reason == why for d in e.args), True)
    try:
        dp.write_attribute("count", 13)
        check("count 13 refused", "accepted", "refused")
    except tango.DevFailed as e:
        check("count 13 refused by the write function",
              any("13 is unlucky" in d.desc for d in e.args), True)
    check("count unchanged", dp.read_attribute("count").value, 7)

    dp.write_attribute("title", "Grüße °C")
    check("title (Latin-1 text)", dp.read_attribute("title").value, "Grüße °C")

    check("mode initial", int(dp.read_attribute("mode").value), 0)
    dp.write_attribute("mode", 2)
    check("mode written", int(dp.read_attribute("mode").value), 2)
    check("mode labels", list(dp.get_attribute_config("mode").enum_labels),
          ["IDLE", "BUSY", "DONE"])

    check("flags initial", as_list(dp.read_attribute("flags").value), [])
    dp.write_attribute("flags", [True, False, True])
    check("flags written", as_list(dp.read_attribute("flags").value), [True, False, True])

    c1 = as_list(dp.read_attribute("counts").value)
    c2 = as_list(dp.read_attribute("counts").value)
    check("counts from the read function", (c1[:3], c2[3] - c1[3]), ([1, 2, 3], 1))

    dp.write_attribute("samples", [1.5, -2.0])
    check("samples via the write function", as_list(dp.read_attribute("samples").value),
          [3.0, -4.0])
    try:
        dp.write_attribute("samples", list(range(9)))
        check("samples too long refused", "accepted", "refused")
    except tango.DevFailed:
        check("samples too long refused", True, True)

    check("tags initial", as_list(dp.read_attribute("tags").value), ["alpha", "béta"])
    dp.write_attribute("tags", ["x", "ÿ"])
    check("tags written", as_list(dp.read_attribute("tags").value), ["x", "ÿ"])

    try:
        dp.read_attribute("broken")
        check("broken read fails", "read", "DevFailed")
    except tango.DevFailed as e:
        check("broken read fails with the message",
              any("the sensor is unplugged" in d.desc for d in e.args), True)

    try:
        dp.write_attribute("temperature", 1.0)
        check("temperature is read-only", "written", "refused")
    except tango.DevFailed:
        check("temperature is read-only", True, True)

    # ---- configuration ---------------------------------------------------
    cfg = dp.get_attribute_config("count")
    check("count config", (cfg.unit, cfg.format, cfg.min_value, cfg.max_value, cfg.label),
          ("counts", "%d", "0", "1000", "Count"))
    check("count writable", cfg.writable, tango.AttrWriteType.READ_WRITE)
    cfg = dp.get_attribute_config("temperature")
    check("temperature config", (cfg.unit, cfg.format, cfg.label, cfg.description),
          ("K", "%6.2f", "Temperature", "sensor temperature"))
    check("temperature writable", cfg.writable, tango.AttrWriteType.READ)
    cfg = dp.get_attribute_config_ex(["temperature", "level"])
    check("temperature abs_change", cfg[0].events.ch_event.abs_change, "1")
    check("temperature archive_abs_change", cfg[0].events.arch_event.archive_abs_change, "5")
    check("level rel_change", cfg[1].events.ch_event.rel_change, "10")
    cfg = dp.get_attribute_config("samples")
    check("samples format/length", (cfg.data_format, cfg.max_dim_x),
          (tango.AttrDataFormat.SPECTRUM, 8))

    # ---- events pushed from a task thread ---------------------------------
    temp, level, arch = Recorder(), Recorder(), Recorder()
    ids = [dp.subscribe_event("temperature", tango.EventType.CHANGE_EVENT, temp),
           dp.subscribe_event("level", tango.EventType.CHANGE_EVENT, level),
           dp.subscribe_event("temperature", tango.EventType.ARCHIVE_EVENT, arch)]
    time.sleep(1.0)  # the subscriptions reach the server's publisher
    ramp = [10, 10.5, 11.2, 11.3, 20, 100, 108]
    run_lrc(dp, "Ramp", ramp)
    wait_for(lambda: len(temp.values()) >= 6 and len(arch.values()) >= 5, 5)
    time.sleep(0.5)  # anything more that would (wrongly) come
    # first value: the one read at subscription
    check("temperature change events (abs_change 1)", temp.values(),
          [0.0, 10, 11.2, 20, 100, 108])
    check("level change events (rel_change 10%)", level.values(), [0.0, 10, 11.2, 20, 100])
    check("temperature archive events (archive_abs_change 5)", arch.values(),
          [0.0, 10, 20, 100, 108])

    # quality: a change of quality is pushed even with the same value
    run_lrc(dp, "SetQuality", 2)  # ATTR_ALARM
    wait_for(lambda: len(temp.values()) >= 7, 5)
    last = temp.snapshot()[-1]
    check("ALARM event", (last[0], last[1]), (108, tango.AttrQuality.ATTR_ALARM))
    check("ALARM read", dp.read_attribute("temperature").quality, tango.AttrQuality.ATTR_ALARM)
    run_lrc(dp, "SetQuality", 1)  # ATTR_INVALID
    wait_for(lambda: len(temp.values()) >= 8, 5)
    last = temp.snapshot()[-1]
    check("INVALID event", (last[0], last[1]), (None, tango.AttrQuality.ATTR_INVALID))
    r = dp.read_attribute("temperature")
    check("INVALID read", (r.value, r.quality), (None, tango.AttrQuality.ATTR_INVALID))
    run_lrc(dp, "SetQuality", 0)
    check("VALID again", dp.read_attribute("temperature").quality,
          tango.AttrQuality.ATTR_VALID)

    # the author's timestamp, on an event and on a read
    st = Recorder()
    ids.append(dp.subscribe_event("stamped", tango.EventType.CHANGE_EVENT, st))
    time.sleep(1.0)
    run_lrc(dp, "Stamp", 1500000000.25)
    wait_for(lambda: len(st.values()) >= 2, 5)
    ev = st.snapshot()
    check("stamped events", [e[0] for e in ev], [0, 1])
    check("stamped event time", round(ev[-1][2], 3), 1500000000.25)
    check("stamped read time", round(dp.read_attribute("stamped").time.totime(), 3),
          1500000000.25)

    # a boolean pushed on each (kit-stored) write: every push goes out
    # (thresholds are for numbers; equal values are pushed too)
    fl = Recorder()
    ids.append(dp.subscribe_event("flag", tango.EventType.CHANGE_EVENT, fl))
    time.sleep(1.0)
    for v in (True, True, False, False, True):
        dp.write_attribute("flag", v)
    wait_for(lambda: len(fl.values()) >= 6, 5)
    time.sleep(0.3)
    check("flag events (one per write)", fl.values(), [True, True, True, False, False, True])

    # values set from a task thread while this client reads and listens
    sm = Recorder()
    ids.append(dp.subscribe_event("samples", tango.EventType.CHANGE_EVENT, sm))
    dp.write_attribute("samples", [0.0] * 8)  # a consistent start: [0] * 8, "0"
    dp.write_attribute("title", "0")
    time.sleep(1.0)
    n = 500
    (code,), (cid,) = dp.command_inout("Churn", n)
    torn, reads, last = 0, 0, 0
    while True:
        s = as_list(dp.read_attribute("samples").value)
        t = dp.read_attribute("title").value
        reads += 1
        if len(s) != 8 or len(set(s)) != 1 or int(s[0]) < last:
            torn += 1
        last = int(s[0]) if s else last
        if not t.isdigit():
            torn += 1
        if dp.CheckLongRunningCommandStatus(cid) in ("COMPLETED", "FAILED", "ABORTED"):
            break
    check("Churn completed", dp.CheckLongRunningCommandStatus(cid), "COMPLETED")
    print(f"     {reads} reads of each during Churn")
    check("reads during Churn", reads > 1, True)
    check("no torn or backward value during Churn", torn, 0)
    check("final samples", as_list(dp.read_attribute("samples").value), [float(n)] * 8)
    check("final title", dp.read_attribute("title").value, str(n))
    wait_for(lambda: sm.values() and as_list(sm.values()[-1]) == [float(n)] * 8, 10)
    vals = [as_list(v)[0] for v in sm.values()[1:]]
    check("samples events in order, ending with the last",
          (vals == sorted(vals), vals[-1] if vals else None), (True, float(n)))

    for i in ids:
        dp.unsubscribe_event(i)
    print("FAILED" if FAILED else "ALL OK")
    sys.exit(1 if FAILED else 0)


if __name__ == "__main__":
    main()
