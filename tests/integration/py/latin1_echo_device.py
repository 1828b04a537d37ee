"""Latin1Echo: the smallest PyTango LRC device for it_text, the other
direction of issue 9 point 3 (our client against a Python device).

Echo(str) -> [[2], [id]] is an LRC in the ska way (protocol v2): it keeps
the argument exactly as PyTango decoded it (attribute lastArgument), and a
thread pushes _lrcEvent [id, json] STAGING, QUEUED, IN_PROGRESS, then
COMPLETED with result [0, argument]. The final JSON is written with
ensure_ascii=False, so the text crosses the wire as raw Latin-1 (as a device
that does not escape would send it); EchoPlain(str) -> str returns the
argument as is. Not a full LRC device: tests/pydevice is that."""
import json
import random
import threading
import time

from tango import AttrWriteType, DevState
from tango.server import Device, attribute, command, run


class Latin1Echo(Device):
    def init_device(self):
        super().init_device()
        self._last = ""
        self.set_state(DevState.ON)
        self.set_change_event("_lrcEvent", True, False)

    lrcProtocolVersions = attribute(dtype=("DevLong64",), max_dim_x=2, access=AttrWriteType.READ)
    _lrcEvent = attribute(dtype=(str,), max_dim_x=2, access=AttrWriteType.READ)
    lastArgument = attribute(dtype=str, access=AttrWriteType.READ)

    def read_lrcProtocolVersions(self):
        return [1, 2]

    def read__lrcEvent(self):
        return []

    def read_lastArgument(self):
        return self._last

    def _events(self, cid, text):
        time.sleep(0.3)  # the client's fresh subscription is in place by now
        for status in (0, 1, 2):
            self.push_change_event("_lrcEvent", [cid, json.dumps({"status": status})])
        final = json.dumps({"status": 5, "result": [0, text]}, ensure_ascii=False)
        self.push_change_event("_lrcEvent", [cid, final])

    @command(dtype_in=str, dtype_out="DevVarLongStringArray")
    def Echo(self, text):
        self._last = text
        cid = f"{time.time()}_{random.getrandbits(48)}_Echo"
        threading.Thread(target=self._events, args=(cid, text), daemon=True).start()
        return [[2], [cid]]

    @command(dtype_in=str, dtype_out=str)
    def EchoPlain(self, text):
        self._last = text
        return text


if __name__ == "__main__":
    run((Latin1Echo,))
