"""PyTango against lrc-positioner (examples/positioner/positioner.c): the
velocity rule, MoveTo with position and State change events and the
_lrcEvent progress (with the position attached) to COMPLETED, a second move
REJECTED with its reason, Abort stopping the axis where it is, Position()
and Home().

usage: positioner_client.py DEVICE   (exit status 0: every check passed)
"""
import json
import sys
import threading
import time

import tango

failures = []
COMPLETED, ABORTED = 5, 3  # TaskStatus values in _lrcEvent "status"
ON, MOVING = tango.DevState.ON, tango.DevState.MOVING


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what, flush=True)
    if not cond:
        failures.append(what)


class Events:
    """Values of one attribute's change events, in arrival order."""

    def __init__(self):
        self.cv = threading.Condition()
        self.values = []

    def push_event(self, ev):
        with self.cv:
            if not ev.err:
                self.values.append(ev.attr_value.value)
                self.cv.notify_all()

    def snapshot(self):
        with self.cv:
            return list(self.values)

    def wait(self, pred, timeout=20.0):
        end = time.monotonic() + timeout
        with self.cv:
            while not pred(self.values):
                left = end - time.monotonic()
                if left <= 0:
                    return False
                self.cv.wait(left)
            return True


def payloads_of(lrc_events, cid):
    """The decoded _lrcEvent payloads of command cid, in order."""
    return [json.loads(v[1]) for v in lrc_events.snapshot() if v and v[0] == cid]


def finished(lrc_events, cid, timeout=30.0):
    """The final payload of cid (or None on timeout)."""
    lrc_events.wait(lambda vals: any(v and v[0] == cid and json.loads(v[1]).get("status")
                                     in (3, 5, 6, 7) for v in vals), timeout)
    done = [p for p in payloads_of(lrc_events, cid) if "status" in p]
    return done[-1] if done else None


def wait_state(dp, want, timeout=10.0):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if dp.state() == want:
            return True
        time.sleep(0.02)
    return dp.state() == want


def velocity_rule(dp):
    check(dp.read_attribute("velocity").value == 1.0, "velocity defaults to 1.0")
    cfg = dp.get_attribute_config("position")
    check(cfg.unit == "mm", "position unit is mm (got %r)" % cfg.unit)
    check(cfg.writable == tango.AttrWriteType.READ, "position is read-only")
    for bad in (0.0, -2.0):
        try:
            dp.write_attribute("velocity", bad)
            check(False, "velocity write %g refused: it was accepted" % bad)
        except tango.DevFailed as e:
            check(any("velocity must be" in x.desc for x in e.args),
                  "velocity write %g refused with the reason: %s" % (bad, e.args[0].desc))
    check(dp.read_attribute("velocity").value == 1.0, "velocity unchanged by refused writes")
    dp.write_attribute("velocity", 10.0)
    check(dp.read_attribute("velocity").value == 10.0, "velocity written: 10.0")


def bad_targets(dp):
    for bad in (float("nan"), 1e9):
        try:
            dp.command_inout("MoveTo", bad)
            check(False, "MoveTo(%g) refused: it was accepted" % bad)
        except tango.DevFailed as e:
            check(e.args[0].reason == "LRC_InvalidArgument" and "outside" in e.args[0].desc,
                  "MoveTo(%g) refused: %s %s" % (bad, e.args[0].reason, e.args[0].desc))
    check(dp.state() == ON, "still ON after refused targets")


def move_to_5(dp, pos, states, lrc_events):
    start_n = len(pos.snapshot())
    codes, ids = dp.command_inout("MoveTo", 5.0)
    check(list(codes) == [2], "MoveTo(5.0) QUEUED (got %r %r)" % (list(codes), list(ids)))
    cid = ids[0]
    final = finished(lrc_events, cid)
    check(final is not None and final.get("status") == COMPLETED,
          "MoveTo(5.0) ends COMPLETED (got %r)" % (final,))
    check(final is not None and final.get("result") == [0, "arrived at 5.000 mm"],
          "result [0, 'arrived at 5.000 mm'] (got %r)" % (final.get("result") if final else None))
    progress = [p for p in payloads_of(lrc_events, cid) if "progress" in p]
    check(len(progress) >= 2, "several progress updates (%d)" % len(progress))
    check(all("position" in p for p in progress), "each progress update carries the position")
    check(progress and progress[-1]["progress"] == 100 and progress[-1]["position"] == 5.0,
          "last progress 100 at position 5.0 (got %r)" % (progress[-1] if progress else None))
    pcts = [p["progress"] for p in progress]
    check(pcts == sorted(pcts), "progress never goes back: %r" % pcts)

    pos.wait(lambda v: v and v[-1] == 5.0, 5)
    during = pos.snapshot()[start_n:]
    check(len(during) >= 2, "position events during the move (%d)" % len(during))
    check(all(a < b for a, b in zip(during, during[1:])),
          "position events increase monotonically: %r" % during)
    check(during and during[-1] == 5.0, "last position event 5.0")
    check(dp.read_attribute("position").value == 5.0, "position reads 5.0")
    check(dp.read_attribute("target").value == 5.0, "target reads 5.0")
    check(wait_state(dp, ON, 5), "State ON after the move")
    check(states.wait(lambda v: MOVING in v and v[-1] == ON, 5),
          "State change events went MOVING then ON: %r" % states.snapshot())


def abort_far_move(dp, pos, lrc_events):
    start = dp.command_inout("Position")
    codes, ids = dp.command_inout("MoveTo", 1000.0)
    check(list(codes) == [2], "MoveTo(1000) QUEUED")
    cid = ids[0]
    check(pos.wait(lambda v: v and v[-1] > start + 1.0, 10), "the axis moves toward 1000")
    # This move lasts until the Abort: a deterministic window for the rest.
    check(dp.state() == MOVING, "State MOVING during the move")
    codes, msgs = dp.command_inout("MoveTo", 2.0)
    check(list(codes) == [5] and msgs[0] == "The axis is moving (to 1000.000 mm): Abort it first",
          "a second MoveTo is REJECTED with the reason (got %r %r)" % (list(codes), list(msgs)))
    codes, msgs = dp.command_inout("Home")
    check(list(codes) == [5] and "moving" in msgs[0],
          "Home during the move is REJECTED (got %r %r)" % (list(codes), list(msgs)))
    check(dp.read_attribute("target").value == 1000.0, "target reads 1000.0 during the move")
    dp.command_inout("Abort")
    final = finished(lrc_events, cid)
    check(final is not None and final.get("status") == ABORTED,
          "MoveTo(1000) ends ABORTED (got %r)" % (final,))
    check(wait_state(dp, ON, 5), "State ON after Abort")
    stopped = dp.command_inout("Position")
    check(start < stopped < 1000.0, "stopped between %g and 1000: %g" % (start, stopped))
    check(final is not None and final.get("result") == [7, "stopped at %.3f mm" % stopped],
          "result names where it stopped (got %r)" % (final.get("result") if final else None))
    time.sleep(0.3)  # six steps: nothing moves any more
    check(dp.command_inout("Position") == stopped, "the position stays where it stopped")
    check(dp.read_attribute("position").value == stopped, "position attribute agrees")
    return stopped


def home(dp, lrc_events):
    codes, ids = dp.command_inout("Home")
    check(list(codes) == [2], "Home QUEUED")
    final = finished(lrc_events, ids[0], 60)
    check(final is not None and final.get("status") == COMPLETED, "Home ends COMPLETED")
    check(dp.command_inout("Position") == 0.0, "Position() is 0.0 after Home")
    check(dp.state() == ON, "State ON after Home")


def main(device):
    dp = tango.DeviceProxy(device)
    check(dp.state() == ON, "State ON at start")
    check(dp.command_inout("Position") == 0.0, "Position() is 0.0 at start")
    velocity_rule(dp)
    bad_targets(dp)
    pos, states, lrc_events = Events(), Events(), Events()
    subs = [dp.subscribe_event("position", tango.EventType.CHANGE_EVENT, pos),
            dp.subscribe_event("State", tango.EventType.CHANGE_EVENT, states),
            dp.subscribe_event("_lrcEvent", tango.EventType.CHANGE_EVENT, lrc_events)]
    time.sleep(0.2)  # the device's SubscriberHold: events after this reach us
    try:
        move_to_5(dp, pos, states, lrc_events)
        abort_far_move(dp, pos, lrc_events)
        home(dp, lrc_events)
    finally:
        for s in subs:
            dp.unsubscribe_event(s)
    print("%d failures" % len(failures), flush=True)
    return 1 if failures else 0


if __name__ == "__main__":
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    sys.exit(main(sys.argv[1]))
