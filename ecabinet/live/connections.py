"""Open Socket.IO connections: what each presented, until when it holds, and its event budget.

Pure Python (no Flask, no Socket.IO), so the rules are testable on their own. The namespace is
the only writer: it adds a record on connect and removes it only when the server itself ends
the connection, so nothing a client sends can make the server forget who it is talking to.
"""

from __future__ import annotations

import functools
import hashlib
import heapq
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime

from limits import parse

from ecabinet.credentials import Credentials

PRUNE_AT = 10_000  # credential budgets kept before idle ones are forgotten


@dataclass
class TokenBucket:
    """`capacity` events at once, refilled at `capacity / period` per second."""

    capacity: float
    period: float
    tokens: float = -1.0
    stamp: float = field(default_factory=time.monotonic)

    def __post_init__(self) -> None:
        if self.tokens < 0:
            self.tokens = self.capacity

    @classmethod
    def from_rule(cls, rule: str) -> TokenBucket:
        """From a `limits` rule such as "10 per second" (validated by config at start-up)."""
        capacity, period = _parse_rule(rule)
        return cls(capacity=capacity, period=period)

    def take(self, now: float | None = None) -> bool:
        now = time.monotonic() if now is None else now
        elapsed = max(0.0, now - self.stamp)
        self.stamp = now
        self.tokens = min(self.capacity, self.tokens + elapsed * self.capacity / self.period)
        if self.tokens >= 1.0:
            self.tokens -= 1.0
            return True
        return False


@functools.lru_cache(maxsize=16)
def _parse_rule(rule: str) -> tuple[float, float]:
    item = parse(rule)
    return float(item.amount), float(item.get_expiry())


def credential_key(creds: Credentials) -> str:
    """One budget per credential, whichever sockets present it (raw tokens are not kept)."""
    if creds.kind == "staff":
        return f"staff:{creds.user_id}"
    digest = hashlib.sha256((creds.token or "").encode()).hexdigest()[:32]
    return f"{creds.kind}:{digest}"


@dataclass
class Connection:
    sid: str
    creds: Credentials
    key: str
    valid_until: datetime | None
    bucket: TokenBucket
    user_id: int | None = None  # who it is, so a revocation finds its connections at once
    attendee_id: int | None = None
    name: str = ""  # shown to the chair in "who is connected"
    screen: bool = False  # a paired room screen: it gets the room's view, no documents
    in_flight: int = 0


@dataclass(frozen=True)
class Budgets:
    per_connection: str  # e.g. "10 per second"
    per_credential: str  # e.g. "30 per second", over every socket of one credential
    max_in_flight: int  # events of one connection being handled at the same time


class Refused(Exception):
    """An event over budget; `reason` is "rate_limited" or "busy"."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class Connections:
    """The registry of open connections; one per namespace.

    Under eventlet or gevent every call runs on one hub; in threading mode handlers run on
    threads, so each method holds a lock (never across I/O, so it never blocks a hub)."""

    def __init__(self, budgets: Budgets) -> None:
        self.budgets = budgets
        self._by_sid: dict[str, Connection] = {}
        self._credential_buckets: dict[str, TokenBucket] = {}
        self._open_per_credential: dict[str, int] = {}
        self._expiries: list[tuple[datetime, str]] = []  # heap of (valid_until, sid)
        self._by_user: dict[int, set[str]] = {}
        self._by_attendee: dict[int, set[str]] = {}
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._by_sid)

    def __iter__(self) -> Iterator[Connection]:
        return iter(list(self._by_sid.values()))

    def get(self, sid: str) -> Connection | None:
        return self._by_sid.get(sid)

    def admit(self, creds: Credentials) -> None:
        """Charge a connection attempt to its credential, before any database work."""
        with self._lock:
            if not self._credential_bucket(credential_key(creds)).take():
                raise Refused("rate_limited")

    def add(
        self,
        sid: str,
        creds: Credentials,
        valid_until: datetime | None,
        *,
        user_id: int | None = None,
        attendee_id: int | None = None,
        name: str = "",
        screen: bool = False,
    ) -> Connection:
        with self._lock:
            key = credential_key(creds)
            self._open_per_credential[key] = self._open_per_credential.get(key, 0) + 1
            connection = Connection(
                sid,
                creds,
                key,
                valid_until,
                TokenBucket.from_rule(self.budgets.per_connection),
                user_id=user_id,
                attendee_id=attendee_id,
                name=name,
                screen=screen,
            )
            self._by_sid[sid] = connection
            if user_id is not None:
                self._by_user.setdefault(user_id, set()).add(sid)
            if attendee_id is not None:
                self._by_attendee.setdefault(attendee_id, set()).add(sid)
            if valid_until is not None:
                heapq.heappush(self._expiries, (valid_until, sid))
            return connection

    def remove(self, sid: str) -> None:
        with self._lock:
            connection = self._by_sid.pop(sid, None)
            if connection is None:
                return
            _forget(self._by_user, connection.user_id, sid)
            _forget(self._by_attendee, connection.attendee_id, sid)
            left = self._open_per_credential.pop(connection.key, 1) - 1
            if left > 0:
                self._open_per_credential[connection.key] = left
            if len(self._expiries) > 2 * len(self._by_sid) + 1000:
                # Entries of closed connections would otherwise wait for their expiry (days).
                self._expiries = [
                    (c.valid_until, c.sid) for c in self._by_sid.values() if c.valid_until
                ]
                heapq.heapify(self._expiries)

    def of_people(
        self, *, attendee_ids: tuple[int, ...] = (), user_ids: tuple[int, ...] = ()
    ) -> list[Connection]:
        """The open connections of these attendees and staff users (an index, no scan)."""
        with self._lock:
            sids = set().union(
                *(self._by_attendee.get(a, set()) for a in attendee_ids),
                *(self._by_user.get(u, set()) for u in user_ids),
            )
            return [self._by_sid[sid] for sid in sids if sid in self._by_sid]

    def begin_event(self, sid: str) -> Connection:
        """Charge one client event; raise Refused when a budget is spent. Pair with end_event."""
        with self._lock:
            connection = self._by_sid.get(sid)
            if connection is None:
                raise Refused("unauthorized")
            if connection.in_flight >= self.budgets.max_in_flight:
                raise Refused("busy")
            if not connection.bucket.take():
                raise Refused("rate_limited")
            if not self._credential_bucket(connection.key).take():
                raise Refused("rate_limited")
            connection.in_flight += 1
            return connection

    def end_event(self, connection: Connection) -> None:
        with self._lock:
            connection.in_flight = max(0, connection.in_flight - 1)

    def expired(self, now: datetime) -> list[str]:
        """Sids whose credential stopped holding at or before `now` (each reported once)."""
        with self._lock:
            due: list[str] = []
            while self._expiries and self._expiries[0][0] <= now:
                valid_until, sid = heapq.heappop(self._expiries)
                connection = self._by_sid.get(sid)
                if connection is not None and connection.valid_until == valid_until:
                    due.append(sid)
            return due

    def _credential_bucket(self, key: str) -> TokenBucket:
        bucket = self._credential_buckets.get(key)
        if bucket is None:
            if len(self._credential_buckets) >= PRUNE_AT:
                self._prune()
            bucket = TokenBucket.from_rule(self.budgets.per_credential)
            self._credential_buckets[key] = bucket
        return bucket

    def _prune(self) -> None:
        """Forget budgets of credentials with no open socket that have refilled since: a fresh
        bucket is full, so nothing is lost, and random tokens cannot grow the table."""
        now = time.monotonic()
        for key, bucket in list(self._credential_buckets.items()):
            if key not in self._open_per_credential and now - bucket.stamp >= bucket.period:
                del self._credential_buckets[key]


def _forget(index: dict[int, set[str]], person: int | None, sid: str) -> None:
    if person is None:
        return
    sids = index.get(person)
    if sids is not None:
        sids.discard(sid)
        if not sids:
            del index[person]
