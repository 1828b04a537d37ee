#!/usr/bin/python3
"""SkaLrcDevice - a small PyTango stand-in for a ska-tango-base 1.3.2 device
serving Long Running Commands, so that the client library is tested against
a second, independent server besides our C kit.

What it imitates (docs/protocol.md; ska-tango-base 1.3.2 as observed on the
wire): the LRC attributes with ska's sizes (lrcQueue
66, lrcExecuting 3, lrcFinished 100, longRunningCommandStatus 132, ...);
`_lrcEvent` change events [id, JSON of one tracker update]; lrcQueue /
lrcExecuting / lrcFinished items without submitted_time (ska's
"sumbitted_time" typo); the v1 attributes with ska's quirks (progress kept
after the end, status/progress left stale when the removal timer drops a
command); one tracker update pushes result, progress, status, InProgress,
`_lrcEvent`, then the lrc* lists (section 1.5). Publishing as ska does: the
creation event (`_lrcEvent` STAGING) goes out at once from the command's
thread; everything else (the v1 creation pushes too) is queued and pushed
in 100 ms batches by a polled command (FlushLrcEvents: Tango polls it every
100 ms, so pushes hold the device monitor as ska's do), in order; a value
identical to the previous one of the same attribute is not pushed again
(Tango change detection).
Strings are whatever PyTango makes of them (Latin-1); JSON uses
json.dumps defaults (ensure_ascii), as ska does.

Commands: Echo(str), Sleep(float: progress every 10 %, honours Abort),
Fail(str: FAILED [3, "Unhandled exception during execution: <msg>"]),
Abort (tracked: STAGING, IN_PROGRESS, drains, COMPLETED [0, "Abort
completed OK"]), AbortCommands (untracked), CheckLongRunningCommandStatus.
Device properties: LrcProtocolVersions ("1,2" default, "1,1", ..., or
"none": a pre-1.2 device with only the v1 attributes), RemovalTime (10 s).

Deliberate simplifications: one task worker (ska's default); no queue
limit (so no "Input queue supports a maximum of 32 commands" and no ghost
entries); no On/Off/Standby/Reset, no state machine, no commandedState;
Abort's drain ends queued tasks ABORTED at once instead of when dequeued.
Tango names the server after the class: SkaLrcDevice/INSTANCE.

    /usr/bin/python3 ska_lrc_device.py INSTANCE [-ORBendPoint giop:tcp:127.0.0.1:]
"""
import collections
import datetime
import json
import threading
import time
import uuid

import tango
from tango.server import Device, command, device_property

STAGING, QUEUED, IN_PROGRESS, ABORTED, NOT_FOUND, COMPLETED, REJECTED, FAILED = range(8)
NAMES = ["STAGING", "QUEUED", "IN_PROGRESS", "ABORTED", "NOT_FOUND", "COMPLETED",
         "REJECTED", "FAILED"]
TERMINAL = (ABORTED, COMPLETED, REJECTED, FAILED)
RC_OK, RC_STARTED, RC_QUEUED, RC_FAILED, RC_REJECTED, RC_ABORTED = 0, 1, 2, 3, 5, 7

MAX_EXECUTING = 2  # one worker, plus Abort's slot (ska treats 1 as 2)
STATUS_QUEUE_SIZE = max(2 * 32 + MAX_EXECUTING, 32)  # 66
FINISHED_KEPT = 100

# name -> (max_dim_x, v2 only, has events)
ATTRS = {
    "lrcProtocolVersions": (2, True, False),
    "_lrcEvent": (2, True, True),
    "lrcQueue": (STATUS_QUEUE_SIZE, True, True),
    "lrcExecuting": (MAX_EXECUTING + 1, True, True),
    "lrcFinished": (FINISHED_KEPT, True, True),
    "longRunningCommandStatus": (2 * STATUS_QUEUE_SIZE, False, True),
    "longRunningCommandProgress": (2 * MAX_EXECUTING, False, True),
    "longRunningCommandResult": (2, False, True),
    "longRunningCommandsInQueue": (STATUS_QUEUE_SIZE, False, True),
    "longRunningCommandIDsInQueue": (STATUS_QUEUE_SIZE, False, True),
    "longRunningCommandInProgress": (MAX_EXECUTING, False, True),
}


def now_iso():
    return datetime.datetime.now(datetime.timezone.utc).isoformat()


class Aborted(Exception):
    pass


class SkaLrcDevice(Device):
    LrcProtocolVersions = device_property(dtype=(str,), default_value=["1", "2"])
    RemovalTime = device_property(dtype=float, default_value=10.0)

    # ---- set-up --------------------------------------------------------------

    def init_device(self):
        super().init_device()
        self.set_state(tango.DevState.ON)
        words = [w.strip() for w in ",".join(self.LrcProtocolVersions).split(",") if w.strip()]
        self._v2 = words != ["none"]
        self._versions = [int(w) for w in words] if self._v2 else []
        self._lock = threading.Lock()
        self._cmds = collections.OrderedDict()  # id -> record: the v1 view (until removal)
        self._finished = collections.OrderedDict()  # id -> record: the last 100 finished
        self._result = ["", ""]  # longRunningCommandResult
        self._pending = []  # (attribute, value) waiting for the next batch
        self._last = {}  # attribute -> last pushed value (change detection)
        self._queue = collections.deque()  # (record, task) waiting for the worker
        self._wake = threading.Condition(self._lock)
        self._busy = False
        self._aborting = 0
        self._abort_event = threading.Event()
        for name, (dim, v2_only, events) in ATTRS.items():
            if v2_only and not self._v2:
                continue
            dtype = tango.DevLong64 if name == "lrcProtocolVersions" else tango.DevString
            self.add_attribute(tango.SpectrumAttr(name, dtype, tango.AttrWriteType.READ, dim),
                               r_meth=self.read_lrc_attr)
            if events:
                self.set_change_event(name, True, False)
                if name != "_lrcEvent":
                    self.set_archive_event(name, True, False)
        threading.Thread(target=self._worker, name="lrc-worker", daemon=True).start()

    def read_lrc_attr(self, attr):
        name = attr.get_name()
        with self._lock:
            if name == "lrcProtocolVersions":
                attr.set_value(self._versions)
            elif name == "_lrcEvent":
                attr.set_value([])  # reading it always gives nothing (section 1.3)
            else:
                attr.set_value(self._value(name))

    # ---- attribute values (under the lock) ------------------------------------

    def _ordered(self):
        """v1 ordering: finished, then executing, then staged/queued."""
        recs = list(self._cmds.values())
        return ([r for r in recs if r["status"] in TERMINAL]
                + [r for r in recs if r["status"] == IN_PROGRESS]
                + [r for r in recs if r["status"] in (STAGING, QUEUED)])

    def _value(self, name):
        if name == "longRunningCommandStatus":
            return [x for r in self._ordered() for x in (r["uid"], NAMES[r["status"]])]
        if name == "longRunningCommandsInQueue":
            return [r["name"] for r in self._ordered()]
        if name == "longRunningCommandIDsInQueue":
            return [r["uid"] for r in self._ordered()]
        if name == "longRunningCommandInProgress":
            return [r["name"] for r in self._cmds.values() if r["status"] == IN_PROGRESS]
        if name == "longRunningCommandProgress":
            # ska keeps a command's last progress after its end (a v1 quirk);
            # the attribute holds MAX_EXECUTING entries: the most recent ones
            recs = [r for r in self._cmds.values() if "progress" in r][-MAX_EXECUTING:]
            return [x for r in recs for x in (r["uid"], str(r["progress"]))]
        if name == "longRunningCommandResult":
            return list(self._result)
        if name == "lrcQueue":
            return [json.dumps({"uid": r["uid"], "name": r["name"]})
                    for r in self._cmds.values() if r["status"] == QUEUED]
        if name == "lrcExecuting":
            items = []
            for r in self._cmds.values():
                if r["status"] == IN_PROGRESS:
                    item = {"uid": r["uid"], "name": r["name"], "started_time": r["started_time"]}
                    if "progress" in r:
                        item["progress"] = r["progress"]
                    items.append(json.dumps(item))
            return items
        if name == "lrcFinished":
            items = []
            for r in self._finished.values():
                item = {"uid": r["uid"], "name": r["name"], "status": NAMES[r["status"]]}
                if "started_time" in r:
                    item["started_time"] = r["started_time"]
                item["finished_time"] = r["finished_time"]
                if "result" in r:
                    item["result"] = r["result"]
                items.append(json.dumps(item))
            return items
        raise KeyError(name)

    # ---- publishing -------------------------------------------------------------

    def _push(self, name, value):
        """Pushes now, unless Tango's change detection would drop it. Called with
        the device monitor held (a command or the polled flush)."""
        value = list(value)
        if self._last.get(name) == value:
            return
        self._last[name] = value
        if name == "lrcProtocolVersions":
            return
        self.push_change_event(name, value)
        if name != "_lrcEvent":
            self.push_archive_event(name, value)

    @command(polling_period=100)
    def FlushLrcEvents(self):
        """ska 1.3.2 queues its pushes and sends them from a command Tango polls
        every 100 ms: events arrive in batches, in order."""
        with self._lock:
            batch, self._pending = self._pending, []
        for name, value in batch:
            self._push(name, value)

    def _update(self, rec, status=None, progress=None, result=None):
        """One CommandTracker update (section 5.3): snapshots queued in ska's
        order for the next batch. Under the lock."""
        uid, event = rec["uid"], {}
        if status is not None:
            event["status"] = status
            rec["status"] = status
            if status == IN_PROGRESS:
                rec["started_time"] = now_iso()
            elif status in TERMINAL:
                rec["finished_time"] = now_iso()
                self._finished[uid] = rec
                while len(self._finished) > FINISHED_KEPT:
                    self._finished.popitem(last=False)
                t = threading.Timer(self.RemovalTime, self._remove, (uid,))
                t.daemon = True
                t.start()
        if progress is not None:
            event["progress"] = rec["progress"] = int(progress)
        if result is not None:
            event["result"] = rec["result"] = result
            self._result = [uid, json.dumps(result)]
            self._pending.append(("longRunningCommandResult", self._result))
        if progress is not None:
            self._pending.append(("longRunningCommandProgress", self._value("longRunningCommandProgress")))
        if status is not None:
            self._pending.append(("longRunningCommandStatus", self._value("longRunningCommandStatus")))
            self._pending.append(("longRunningCommandInProgress", self._value("longRunningCommandInProgress")))
        if self._v2:
            self._pending.append(("_lrcEvent", [uid, json.dumps(event)]))
            for name in ("lrcQueue", "lrcExecuting", "lrcFinished"):
                self._pending.append((name, self._value(name)))

    def _remove(self, uid):
        """Removal timer: ska re-pushes only the InQueue lists; the status and
        progress lists stay stale until the next change."""
        with self._lock:
            if self._cmds.pop(uid, None) is not None:
                for name in ("longRunningCommandsInQueue", "longRunningCommandIDsInQueue"):
                    self._pending.append((name, self._value(name)))

    def _new_command(self, name):
        """Allocates an ID and pushes STAGING at once, from the command's thread
        (before the client has the ID: section 2.5). Under the lock."""
        uid = "%r_%d_%s" % (time.time(), uuid.uuid4().node, name)
        rec = {"uid": uid, "name": name, "status": STAGING}
        self._cmds[uid] = rec
        while len(self._cmds) > STATUS_QUEUE_SIZE:  # evict the oldest finished
            old = next((k for k, r in self._cmds.items() if r["status"] in TERMINAL), None)
            if old is None:
                break
            self.warn_stream("Status queue too big: removing item %s" % old)
            del self._cmds[old]
        # The v1 lists go with the batch: pushed now they could overtake older
        # queued values of the same lists (e.g. a COMPLETED before its result).
        for n in ("longRunningCommandsInQueue", "longRunningCommandIDsInQueue",
                  "longRunningCommandStatus"):
            self._pending.append((n, self._value(n)))
        direct = [("_lrcEvent", [uid, json.dumps({"status": STAGING})])] if self._v2 else []
        return rec, direct

    def _submit(self, name, task):
        with self._lock:
            rec, direct = self._new_command(name)
            if self._aborting:  # observed: STAGING, then REJECTED with this result
                self._update(rec, status=REJECTED, result=[RC_REJECTED, "Queue is being aborted"])
                code, text = RC_REJECTED, "Queue is being aborted"
            else:
                self._update(rec, status=QUEUED)
                self._queue.append((rec, task))
                self._wake.notify_all()
                code, text = RC_QUEUED, rec["uid"]
        for n, v in direct:
            self._push(n, v)
        return [[code], [text]]

    # ---- execution -------------------------------------------------------------

    def _worker(self):
        while True:
            with self._lock:
                while not self._queue:
                    self._wake.wait()
                rec, task = self._queue.popleft()
                self._busy = True
                self._update(rec, status=IN_PROGRESS)
            try:
                status, result = COMPLETED, task(rec)
            except Aborted:
                status, result = ABORTED, [RC_ABORTED, "Command has been aborted"]
            except Exception as exc:  # ska's executor: FAILED with this result
                status, result = FAILED, [RC_FAILED, "Unhandled exception during execution: %s" % exc]
            with self._lock:
                self._update(rec, status=status, result=result)
                self._busy = False
                self._wake.notify_all()

    def _progress(self, rec, percent):
        with self._lock:
            self._update(rec, progress=percent)

    def _drain(self, rec=None):
        """Abort: queued tasks end ABORTED, the running one sees the flag; then
        the tracked Abort (rec) completes."""
        with self._lock:
            self._aborting += 1
            self._abort_event.set()
            while self._queue:
                queued, _ = self._queue.popleft()
                self._update(queued, status=ABORTED, result=[RC_ABORTED, "Command has been aborted"])
            while self._busy:
                self._wake.wait()
            self._aborting -= 1
            if not self._aborting:
                self._abort_event.clear()
            if rec is not None:
                self._update(rec, status=COMPLETED, result=[RC_OK, "Abort completed OK"])

    # ---- commands ----------------------------------------------------------------

    @command(dtype_in=str, dtype_out="DevVarLongStringArray")
    def Echo(self, text):
        return self._submit("Echo", lambda rec: [RC_OK, text])

    @command(dtype_in=float, dtype_out="DevVarLongStringArray")
    def Sleep(self, seconds):
        if not 0 <= seconds <= 86400:  # checked before anything is tracked
            raise ValueError("Sleep: invalid duration %r s" % seconds)

        def task(rec):
            for step in range(1, 11):
                if self._abort_event.wait(seconds / 10):
                    raise Aborted()
                self._progress(rec, step * 10)
            return [RC_OK, "Sleep done"]
        return self._submit("Sleep", task)

    @command(dtype_in=str, dtype_out="DevVarLongStringArray")
    def Fail(self, message):
        def task(rec):
            raise RuntimeError(message)
        return self._submit("Fail", task)

    @command(dtype_out="DevVarLongStringArray")
    def Abort(self):
        with self._lock:
            rec, direct = self._new_command("Abort")
            self._update(rec, status=IN_PROGRESS)  # never QUEUED
        for n, v in direct:
            self._push(n, v)
        # never wait here: the drain needs the pushes this thread's monitor blocks
        threading.Thread(target=self._drain, args=(rec,), daemon=True).start()
        return [[RC_STARTED], [rec["uid"]]]

    @command(dtype_out="DevVarLongStringArray")
    def AbortCommands(self):
        threading.Thread(target=self._drain, daemon=True).start()
        return [[RC_STARTED], ["Aborting commands"]]

    @command(dtype_in=str, dtype_out=str)
    def CheckLongRunningCommandStatus(self, uid):
        with self._lock:
            rec = self._finished.get(uid) or self._cmds.get(uid)
            return NAMES[rec["status"]] if rec else "NOT_FOUND"


if __name__ == "__main__":
    SkaLrcDevice.run_server()
