"""Rate limits on the `limits` library (the engine under Flask-Limiter), one store per app.

Per app rather than Flask-Limiter's module-level instance, so tests and several apps in one
process never share counters; the same check serves HTTP and socket handlers.
"""

from __future__ import annotations

from flask import Flask, current_app
from limits import parse
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter

from ecabinet.errors import RateLimited


class RateLimits:
    def __init__(self) -> None:
        self._limiter = MovingWindowRateLimiter(MemoryStorage())

    def hit(self, rule: str, *keys: str) -> None:
        """Count one attempt; raise RateLimited once `rule` (e.g. "10 per minute") is exceeded."""
        item = parse(rule)
        if not self._limiter.hit(item, *keys):
            raise RateLimited(
                "Bạn đã thử quá nhiều lần. Vui lòng đợi một phút rồi thử lại.",
                code="rate_limited",
            )


def init_app(app: Flask) -> None:
    app.extensions["ecabinet.limits"] = RateLimits()


def hit(rule_setting: str, *keys: str) -> None:
    limits: RateLimits = current_app.extensions["ecabinet.limits"]
    limits.hit(str(current_app.config[rule_setting]), rule_setting, *keys)
