"""CPU-heavy work from a request without stalling everyone else.

Under eventlet or gevent every connection shares one OS thread: a few seconds of parsing a
spreadsheet or writing a workbook on it stops every tablet's push for as long. `off_hub` runs
such work in a real thread (eventlet's tpool, gevent's thread pool), which shares the GIL in
slices, so the hub keeps answering (measured in ../shared notes: a 15 ms longest stall for
0.3 s of CPU, against the whole duration on the hub). Under plain threads it just calls.

Only for work that touches no database session and no green lock: parsing bytes, building
bytes. A bounded-time or hostile-input job belongs in a child process (documents/pdf_probe.py).
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")


def _green() -> str:
    patcher = sys.modules.get("eventlet.patcher")
    if patcher is not None and patcher.is_monkey_patched("thread"):
        return "eventlet"
    monkey = sys.modules.get("gevent.monkey")
    if monkey is not None and monkey.is_module_patched("threading"):
        return "gevent"
    return ""


def off_hub(work: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """`work(*args, **kwargs)`, in a real thread when green threads share this one."""
    mode = _green()
    if mode == "eventlet":
        from eventlet import tpool

        result: T = tpool.execute(work, *args, **kwargs)
        return result
    if mode == "gevent":
        import gevent

        pooled: T = gevent.get_hub().threadpool.apply(work, args, kwargs)
        return pooled
    return work(*args, **kwargs)
