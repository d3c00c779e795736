"""ZTL wire format, written from docs/ztl-wire.md for zedge's interop tests.

Shared by ztl_server.py and ztl_client.py. Plain pyzmq, no ZTL install needed:
the peers must behave like ZTL 0.2.x on the wire, not import it.
"""

import base64

# Request codes (STATE field of a request).
INIT, STATUS, ABORT = 1, 2, 3

# Task states (STATE field of a reply).
INITIATED, ACCEPTED, REJECTED, FAILED, ABORTED, COMPLETED = range(6)
STATE_NAMES = ["INITIATED", "ACCEPTED", "REJECTED", "FAILED", "ABORTED", "COMPLETED"]

FIELDS = ("scope", "state", "id", "payload")
SEPARATORS = (":", "\u00ac")


def state_name(state):
    return STATE_NAMES[state] if 0 <= state < len(STATE_NAMES) else str(state)


def encode_message(scope, state, mid, payload):
    """One frame of UTF-8 text: SCOPE;STATE;ID;PAYLOAD."""
    return ("%s;%d;%d;%s" % (scope, state, mid, payload)).encode("utf-8")


def decode_message(frame):
    """Splits on ';' at most 3 times; returns a dict with the fields present."""
    parts = frame.decode("utf-8").split(";", 3)
    return dict(zip(FIELDS, parts))


def encode_task(handler, component, goal, separator=":"):
    text = separator.join([handler, component, goal])
    return base64.b64encode(text.encode("utf-8")).decode("ascii")


def decode_task(payload):
    """Accepts both separators: whichever comes first is the one used."""
    text = base64.b64decode(payload.encode("ascii")).decode("utf-8")
    found = [(text.find(s), s) for s in SEPARATORS if text.find(s) >= 0]
    if not found:
        raise ValueError("task payload must be HANDLER:COMPONENT:GOAL")
    separator = min(found)[1]
    parts = text.split(separator, 2)
    if len(parts) < 3:
        raise ValueError("task payload must be HANDLER:COMPONENT:GOAL")
    return {"handler": parts[0], "component": parts[1], "goal": parts[2]}
