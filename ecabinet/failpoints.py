"""Named crash points for crash tests: the process kills itself (SIGKILL) when it reaches one.

`ECABINET_FAILPOINTS=upload.promoted` makes a server die exactly where a test needs it to, so
"kill -9 at the moment the file lands" is a repeatable test instead of a lucky timing. The
variable is read once at import; unset (always, in production) every call is a dict lookup.
`name@N` dies on the Nth time the point is reached (the 4th file of a bulk upload).
"""

from __future__ import annotations

import os
import signal
import threading


def _parse(spec: str) -> dict[str, int]:
    armed = {}
    for part in spec.split(","):
        name, _, nth = part.strip().partition("@")
        if name:
            armed[name] = int(nth) if nth.isdigit() and int(nth) > 0 else 1
    return armed


_ARMED = _parse(os.environ.get("ECABINET_FAILPOINTS", ""))
_REACHED: dict[str, int] = {}
_LOCK = threading.Lock()


def reach(name: str) -> None:
    if name not in _ARMED:
        return
    with _LOCK:
        _REACHED[name] = _REACHED.get(name, 0) + 1
        if _REACHED[name] >= _ARMED[name]:
            os.kill(os.getpid(), signal.SIGKILL)
