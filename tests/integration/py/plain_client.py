"""PyTango against lrc-plain-device (tests/integration/plain_device.c):
plain commands of every kind, errors with their reasons, every DevState,
State and Status change events, Status text, and the device's Tango logging.

usage: plain_client.py DEVICE LOGFILE   (exit status 0: every check passed)
"""
import json
import os
import sys
import threading
import time

import tango

failures = []


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what, flush=True)
    if not cond:
        failures.append(what)


def expect_failed(dp, cmd, arg, reason, desc_part):
    try:
        if arg is None:
            dp.command_inout(cmd)
        else:
            dp.command_inout(cmd, arg)
    except tango.DevFailed as e:
        got = [(x.reason, x.desc) for x in e.args]
        check(any(r == reason and desc_part in d for r, d in got),
              "%s fails with %s (%s): got %s" % (cmd, reason, desc_part, got))
        return
    check(False, "%s fails with %s: it returned normally" % (cmd, reason))


class Events:
    """Values of one attribute's change events, in arrival order."""

    def __init__(self):
        self.cv = threading.Condition()
        self.values = []
        self.errors = []

    def push_event(self, ev):
        with self.cv:
            if ev.err:
                self.errors.append(ev.errors)
            else:
                self.values.append(ev.attr_value.value)
            self.cv.notify_all()

    def wait_for(self, want, timeout=10.0):
        """True once the values end with `want` (a list)."""
        end = time.monotonic() + timeout
        with self.cv:
            while self.values[-len(want):] != want:
                left = end - time.monotonic()
                if left <= 0:
                    return False
                self.cv.wait(left)
            return True


def plain_commands(dp):
    check(dp.command_inout("Ping") is None, "Ping (DevVoid -> DevVoid)")
    check(dp.command_inout("Negate", True) is False, "Negate(True) is False")
    check(dp.command_inout("Negate", False) is True, "Negate(False) is True")
    v = dp.command_inout("Twice", 2 ** 40 + 1)
    check(v == 2 ** 41 + 2 and isinstance(v, int), "Twice(2**40+1) = %r (DevLong64)" % v)
    v = dp.command_inout("Half", 5.0)
    check(v == 2.5 and isinstance(v, float), "Half(5.0) = %r" % v)
    v = dp.command_inout("Shout", "caf\u00e9")
    check(v == "caf\u00e9!", "Shout('caf\u00e9') = %r" % v)
    v = dp.command_inout("Sum", [1, 2, 3, 2 ** 40])
    check(v == 6 + 2 ** 40, "Sum = %r" % v)
    v = dp.command_inout("Reversed", [1, -2, 3])
    check(list(v) == [3, -2, 1], "Reversed = %r" % (v,))
    v = dp.command_inout("Reversed", [])
    check(v is None or len(v) == 0, "Reversed([]) = %r" % (v,))
    v = dp.command_inout("Scale", [0.5, -1.25])
    check(list(v) == [5.0, -12.5], "Scale = %r" % (v,))
    v = dp.command_inout("Join", ["a", "b\u00b0", "c"])
    check(v == "a+b\u00b0+c", "Join = %r" % v)
    v = dp.command_inout("Words", "one two  three")
    check(list(v) == ["one", "two", "three"], "Words = %r" % (v,))
    v = dp.command_inout("Wrap", json.dumps({"k": [1, 2]}))
    check(isinstance(v, str) and json.loads(v) == {"got": {"k": [1, 2]}}, "Wrap = %r" % v)

    # the declared types, as clients see them
    types = {c.cmd_name: (c.in_type, c.out_type) for c in dp.command_list_query()}
    CT = tango.CmdArgType
    want = {
        "Ping": (CT.DevVoid, CT.DevVoid),
        "Negate": (CT.DevBoolean, CT.DevBoolean),
        "Twice": (CT.DevLong64, CT.DevLong64),
        "Half": (CT.DevDouble, CT.DevDouble),
        "Shout": (CT.DevString, CT.DevString),
        "Reversed": (CT.DevVarLong64Array, CT.DevVarLong64Array),
        "Scale": (CT.DevVarDoubleArray, CT.DevVarDoubleArray),
        "Join": (CT.DevVarStringArray, CT.DevString),
        "Words": (CT.DevString, CT.DevVarStringArray),
        "Wrap": (CT.DevString, CT.DevString),
    }
    for name, tt in want.items():
        check(types.get(name) == tt, "%s types %s (want %s)" % (name, types.get(name), tt))

    # failures reach the client with their reason
    expect_failed(dp, "Boom", "x1", "PLAIN_Boom", "boom: x1")
    expect_failed(dp, "BareFail", None, "LRC_CommandFailed", "BareFail failed")
    expect_failed(dp, "WrongKind", None, "LRC_CommandFailed", "WrongKind set no result")
    expect_failed(dp, "Wrap", "{not json", "LRC_CommandFailed", "not valid JSON")
    expect_failed(dp, "Euro", None, "LRC_InvalidText", "")
    v = dp.command_inout("ReplyChecks")
    check(v == "[1]", "lrc_reply setters refuse wrong kinds, bad JSON, bad UTF-8: %r" % v)
    # allowed hook: refused when not ON, fn not run
    check(dp.command_inout("Guarded") == 42, "Guarded while ON = 42")
    dp.command_inout("SetState", int(tango.DevState.FAULT))
    expect_failed(dp, "Guarded", None, "API_CommandNotAllowed",
                  "Command Guarded not allowed when the device is in FAULT state")
    dp.command_inout("SetState", int(tango.DevState.ON))
    check(dp.command_inout("Guarded") == 42, "Guarded while ON again = 42")


def states_and_status(dp):
    check(dp.status() == "The device is in ON state.", "default Status: %r" % dp.status())
    st_ev = Events()
    sa_ev = Events()
    sid = dp.subscribe_event("State", tango.EventType.CHANGE_EVENT, st_ev)
    aid = dp.subscribe_event("Status", tango.EventType.CHANGE_EVENT, sa_ev)
    check(st_ev.wait_for([tango.DevState.ON]), "State subscription gives ON first")
    check(sa_ev.wait_for(["The device is in ON state."]), "Status subscription gives its text")
    # A subscription's filter reaches the server some time after
    # subscribe_event returns; events pushed before are lost (Tango's fresh
    # subscriber window). Probe until a Status event arrives: State's
    # subscription, made earlier over the same connection, is in place then.
    for k in range(100):
        dp.command_inout("SetStatus", "probe %d" % k)
        if sa_ev.wait_for(["probe %d" % k], timeout=0.2):
            break
    check(sa_ev.values[-1].startswith("probe"), "a Status event arrives after subscribing")
    dp.command_inout("ResetStatus")
    check(sa_ev.wait_for(["The device is in ON state."]), "ResetStatus: default text")

    every = [tango.DevState.values[k] for k in sorted(tango.DevState.values)]
    check(len(every) == 14, "14 DevStates")
    for s in every:
        dp.command_inout("SetState", int(s))
        check(dp.state() == s and dp.read_attribute("State").value == s,
              "State reads %s" % s)
        check(st_ev.wait_for([s]), "State change event %s" % s)
        want = "The device is in %s state." % s
        check(dp.status() == want, "default Status follows: %r" % dp.status())
        check(sa_ev.wait_for([want]), "Status change event %r" % want)
    n_state = len(st_ev.values)
    dp.command_inout("SetState", int(every[-1]))  # same state: no event
    dp.command_inout("SetState", int(tango.DevState.ON))
    check(st_ev.wait_for([tango.DevState.ON]), "State event ON")
    check(len(st_ev.values) == n_state + 1,
          "setting the same state pushes nothing: %r" % st_ev.values[n_state:])

    for text in ["calibrating \u00b0C", "second text"]:
        dp.command_inout("SetStatus", text)
        # (PyTango 9.3's status() decodes the Latin-1 text as UTF-8: ASCII only)
        check(dp.read_attribute("Status").value == text
              and (not text.isascii() or dp.status() == text), "Status reads %r" % text)
        check(sa_ev.wait_for([text]), "Status change event %r" % text)
    dp.command_inout("SetState", int(tango.DevState.STANDBY))
    check(st_ev.wait_for([tango.DevState.STANDBY]), "State event STANDBY")
    check(dp.status() == "second text", "an author's Status stays across a state change")
    dp.command_inout("ResetStatus")
    want = "The device is in STANDBY state."
    check(sa_ev.wait_for([want]) and dp.status() == want, "ResetStatus: default text again")
    dp.command_inout("SetState", int(tango.DevState.ON))
    check(st_ev.wait_for([tango.DevState.ON]), "State event ON")

    # from a task's worker thread: MOVING + status, then ON + default status
    code, _ = dp.command_inout("Move")
    check(code[0] == 2, "Move QUEUED: %r" % (code,))
    check(st_ev.wait_for([tango.DevState.MOVING, tango.DevState.ON]),
          "State events MOVING then ON from the task: %r" % st_ev.values[-3:])
    check("moving to the target" in sa_ev.values, "Status event from the task")
    check(sa_ev.wait_for(["The device is in ON state."]), "Status back to default after Move")
    check(not st_ev.errors and not sa_ev.errors,
          "no error events: %r %r" % (st_ev.errors, sa_ev.errors))
    dp.unsubscribe_event(sid)
    dp.unsubscribe_event(aid)


def log_contains(path, text, timeout=5.0):
    end = time.monotonic() + timeout
    while True:
        try:
            with open(path, "rb") as f:
                if text.encode("latin-1") in f.read():
                    return True
        except FileNotFoundError:
            pass
        if time.monotonic() > end:
            return False
        time.sleep(0.1)


def logging(dp, path):
    admin = tango.DeviceProxy(dp.adm_name())
    dev = dp.dev_name()
    admin.command_inout("AddLoggingTarget", [dev, "file::" + path])
    admin.command_inout("SetLoggingLevel", [[4], [dev]])  # INFO
    dp.command_inout("Log", ["20", "author info one"])
    dp.command_inout("Log", ["10", "author debug hidden"])
    dp.command_inout("Log", ["40", "author error caf\u00e9"])
    check(log_contains(path, "author info one"), "INFO message in the file target")
    check(log_contains(path, "author error caf\u00e9"), "ERROR message (Latin-1) in the file")
    # the kit's own messages about the device: a refused task result
    code, cid = dp.command_inout("BadResult")
    check(code[0] == 2, "BadResult QUEUED")
    check(log_contains(path, "result of BadResult cannot be stored"),
          "the kit's WARNING reaches the device's log")
    check(log_contains(path, "ends FAILED"), "the kit's ERROR reaches the device's log")
    # a task logs from its worker thread
    dp.command_inout("Move")
    check(log_contains(path, "move started"), "a task's INFO message from its worker thread")
    time.sleep(0.5)
    check(not log_contains(path, "author debug hidden", 0), "DEBUG filtered at level INFO")
    # a lower level filters more
    admin.command_inout("SetLoggingLevel", [[2], [dev]])  # ERROR
    dp.command_inout("Log", ["30", "author warning filtered"])
    dp.command_inout("Log", ["50", "author critical shown"])
    check(log_contains(path, "author critical shown"), "CRITICAL (FATAL) at level ERROR")
    check(not log_contains(path, "author warning filtered", 0), "WARNING filtered at ERROR")
    admin.command_inout("SetLoggingLevel", [[0], [dev]])  # OFF
    dp.command_inout("Log", ["50", "author critical off"])
    time.sleep(0.3)
    check(not log_contains(path, "author critical off", 0), "nothing at level OFF")
    admin.command_inout("RemoveLoggingTarget", [dev, "file::" + path])


def main():
    device, logfile = sys.argv[1], sys.argv[2]
    dp = tango.DeviceProxy(device)
    dp.set_timeout_millis(10000)
    check(dp.state() == tango.DevState.ON, "device ON after init (names refused as they must)")
    plain_commands(dp)
    states_and_status(dp)
    logging(dp, logfile)
    print("%d failure(s)" % len(failures), flush=True)
    # exit without PyTango's slow teardown of subscriptions
    sys.stdout.flush()
    os._exit(1 if failures else 0)


if __name__ == "__main__":
    main()
