"""Rate limits: a moving window per key, in memory, one store per app.

Rules are written as the `limits` library parses them ("10 per minute"). The counting is ours:
the library's MemoryStorage starts a threading.Timer to expire entries, and under eventlet
starting a thread yields the hub. A live control counts its budget inside the write
transaction it shares with the credential check, and a green thread that yields there leaves
SQLite's write lock held while the next writer's busy wait blocks the hub: a 10 s stall,
seen under load (bench/RESULTS.md). This store never yields: it keeps at most N timestamps
per key for an "N per T" rule and forgets idle keys as it goes.

Per app, so tests and several apps in one process never share counters; the same check
serves HTTP and socket handlers.
"""

from __future__ import annotations

import functools
import threading
import time
from collections import deque

from flask import Flask, current_app
from limits import parse

from ecabinet.errors import RateLimited

PRUNE_AT = 10_000  # keys kept before those idle for a whole window are forgotten


@functools.lru_cache(maxsize=32)
def _rule(text: str) -> tuple[int, float]:
    item = parse(text)
    return int(item.amount), float(item.get_expiry())


class RateLimits:
    def __init__(self) -> None:
        self._hits: dict[tuple[str, ...], tuple[deque[float], float]] = {}  # key: hits, window
        self._lock = threading.Lock()  # never held across anything that could yield

    def allow(self, rule: str, *keys: str, now: float | None = None) -> bool:
        """Count one attempt; False once more than `rule` allows happened in its window."""
        amount, window = _rule(rule)
        now = time.monotonic() if now is None else now
        with self._lock:
            if len(self._hits) >= PRUNE_AT:
                self._prune(now)
            hits = self._hits.setdefault(keys, (deque(maxlen=amount), window))[0]
            if len(hits) == amount and hits[0] > now - window:
                return False
            hits.append(now)
            return True

    def exceeded(self, rule: str, *keys: str, now: float | None = None) -> bool:
        """Whether `rule` is used up for these keys, without counting an attempt: a guess must
        be refused before it is checked, or throttling only slows the answers down."""
        amount, window = _rule(rule)
        now = time.monotonic() if now is None else now
        with self._lock:
            entry = self._hits.get(keys)
            if entry is None:
                return False
            hits = entry[0]
            return len(hits) == amount and hits[0] > now - window

    def hit(self, rule: str, *keys: str) -> None:
        """Count one attempt; raise RateLimited once `rule` (e.g. "10 per minute") is exceeded."""
        if not self.allow(rule, *keys):
            raise RateLimited(
                "Bạn đã thử quá nhiều lần. Vui lòng đợi một phút rồi thử lại.",
                code="rate_limited",
            )

    def _prune(self, now: float) -> None:
        for key, (hits, window) in list(self._hits.items()):
            if not hits or hits[-1] <= now - window:  # its whole window has passed: forget it
                del self._hits[key]


def init_app(app: Flask) -> None:
    app.extensions["ecabinet.limits"] = RateLimits()


def hit(rule_setting: str, *keys: str) -> None:
    limits: RateLimits = current_app.extensions["ecabinet.limits"]
    limits.hit(str(current_app.config[rule_setting]), rule_setting, *keys)


def check(rule_setting: str, *keys: str) -> None:
    """Raise RateLimited if `rule_setting` is used up for these keys; counts nothing."""
    limits: RateLimits = current_app.extensions["ecabinet.limits"]
    if limits.exceeded(str(current_app.config[rule_setting]), rule_setting, *keys):
        raise RateLimited(
            "Bạn đã thử quá nhiều lần. Vui lòng đợi một phút rồi thử lại.", code="rate_limited"
        )
