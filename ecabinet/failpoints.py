"""Named crash points for crash tests: the process kills itself (SIGKILL) when it reaches one.

`ECABINET_FAILPOINTS=upload.promoted` makes a server die exactly where a test needs it to, so
"kill -9 at the moment the file lands" is a repeatable test instead of a lucky timing. The
variable is read once at import; unset (always, in production) every call is a set lookup.
"""

from __future__ import annotations

import os
import signal

_ARMED = frozenset(
    name.strip() for name in os.environ.get("ECABINET_FAILPOINTS", "").split(",") if name.strip()
)


def reach(name: str) -> None:
    if name in _ARMED:
        os.kill(os.getpid(), signal.SIGKILL)
