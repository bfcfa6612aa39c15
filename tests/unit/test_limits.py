"""The rate-limit store: a moving window per key that never yields (no threads, no timers)."""

from __future__ import annotations

import threading

import pytest

from ecabinet import limits as limits_module
from ecabinet.limits import RateLimits


def test_a_moving_window_per_key() -> None:
    store = RateLimits()
    hits = [store.allow("3 per second", "chair", "7", now=100.0 + n * 0.1) for n in range(4)]
    assert hits == [True, True, True, False]
    assert store.allow("3 per second", "chair", "8", now=100.35)  # another key
    assert not store.allow("3 per second", "chair", "7", now=100.99)
    assert store.allow("3 per second", "chair", "7", now=101.01)  # the first hit left the window


def test_counting_never_starts_a_thread(monkeypatch: pytest.MonkeyPatch) -> None:
    """Under eventlet, starting a thread yields the hub; a limit counted inside a write
    transaction must not (the limits library's MemoryStorage starts a Timer)."""

    def refuse(_self: threading.Thread) -> None:
        raise AssertionError("the rate limiter started a thread")

    monkeypatch.setattr(threading.Thread, "start", refuse)
    store = RateLimits()
    for n in range(50):
        store.allow("10 per second", "user", str(n % 3))


def test_idle_keys_are_forgotten_but_not_before_their_window(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(limits_module, "PRUNE_AT", 5)
    store = RateLimits()
    store.allow("1 per hour", "login", "10.0.0.1", now=0.0)
    for n in range(10):
        store.allow("5 per second", "control", str(n), now=100.0)
    assert not store.allow("1 per hour", "login", "10.0.0.1", now=200.0)  # still counted
    assert len(store._hits) <= 12
