"""Domain events: services record what happened on the unit of work; subscribers react.

A service calls `record(session, SomethingHappened(...))` while it changes the database. When
the unit of work commits, the app's `EventBus` hands the events, in the order they were
recorded, to the subscribers that features registered:

- `in_transaction(handler)`: `handler(session, events)` runs inside the transaction just
  before COMMIT. It is part of the change: it may write rows (a job, an outbox message) and
  read what a reaction will need; if it raises, the commit fails like any part of the change.
  It may return a callable, which runs after the commit (and never after a rollback).
- `after_commit(handler)`: `handler(events)` runs once the commit succeeded. An exception is
  logged and goes no further: the commit stands, the other subscribers still run.
- `on_record(handler)`: `handler(session, event)` runs at once, when the service records the
  event, before the service goes on: for a feature that must act on rows another feature is
  about to delete (documents' files, when a meeting goes). It may return a callable that runs
  when the unit of work ends, with True after a commit and False after a rollback.

A rollback drops the events. Plain Python: no Flask, no Socket.IO.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import event as sa_event
from sqlalchemy.orm import Session as OrmSession
from sqlalchemy.orm import sessionmaker

log = logging.getLogger(__name__)

EVENTS_KEY = "ecabinet.events"
_DEFERRED_KEY = "ecabinet.events.deferred"
MAX_ROUNDS = 10  # in-transaction handlers may record events of their own


class DomainEvent:
    """Base of every domain event: frozen dataclasses of plain values (ids, not rows)."""


@dataclass(frozen=True)
class AccessRevoked(DomainEvent):
    """Someone may have lost access. Names whom: these attendees, these staff users, or,
    with `meeting_id` alone, everyone connected to that meeting (deleted, chair replaced)."""

    meeting_id: int | None = None
    attendee_ids: tuple[int, ...] = ()
    user_ids: tuple[int, ...] = ()


@dataclass(frozen=True)
class Audited(DomainEvent):
    """Someone changed something a meeting's record must show: who, what, before and after.
    The audit feature writes it in the same transaction (never lost, never for a rollback).
    `changes` holds (field, before, after) as text."""

    meeting_id: int | None
    actor_id: int | None
    actor_name: str
    action: str  # a stable code: meeting.update, agenda.add, attendees.import, ...
    subject: str  # what it was about, for people: "Nội dung 2: Báo cáo tài chính"
    changes: tuple[tuple[str, str, str], ...] = ()


def audit(
    session: OrmSession,
    actor: Any,
    *,
    meeting_id: int | None,
    action: str,
    subject: str,
    changes: dict[str, tuple[Any, Any]] | None = None,
) -> None:
    """Record an Audited event for `actor` (an ecabinet.actor.Actor)."""
    pairs = tuple(
        (field, _text(before), _text(after))
        for field, (before, after) in (changes or {}).items()
        if _text(before) != _text(after)
    )
    record(
        session,
        Audited(
            meeting_id=meeting_id,
            actor_id=getattr(actor, "user_id", None),
            actor_name=str(
                getattr(actor, "name", "")
                or ("Hệ thống" if getattr(actor, "system", False) else "")
            ),
            action=action,
            subject=subject[:300],
            changes=pairs,
        ),
    )


def _text(value: Any) -> str:
    if value is None:
        return ""
    if hasattr(value, "isoformat"):
        return str(value.isoformat())
    return str(value)


BUS_KEY = "ecabinet.events.bus"
_FINALLY_KEY = "ecabinet.events.finally"


def record(session: OrmSession, happened: DomainEvent) -> None:
    """Record an event on this unit of work; subscribers see it only if the commit succeeds
    (on_record handlers see it now)."""
    session.info.setdefault(EVENTS_KEY, []).append(happened)
    bus = session.info.get(BUS_KEY)
    if isinstance(bus, EventBus):
        bus._recorded(session, happened)


def recorded(session: OrmSession) -> list[DomainEvent]:
    return list(session.info.get(EVENTS_KEY, []))


InTransaction = Callable[[OrmSession, Sequence[DomainEvent]], Callable[[], None] | None]
AfterCommit = Callable[[Sequence[DomainEvent]], None]
OnRecord = Callable[[OrmSession, DomainEvent], Callable[[bool], None] | None]


class EventBus:
    """One per app: the subscribers of its features, hooked onto its sessions."""

    def __init__(self) -> None:
        self._in_transaction: list[InTransaction] = []
        self._after_commit: list[AfterCommit] = []
        self._on_record: list[OnRecord] = []

    def in_transaction(self, handler: InTransaction) -> InTransaction:
        self._in_transaction.append(handler)
        return handler

    def after_commit(self, handler: AfterCommit) -> AfterCommit:
        self._after_commit.append(handler)
        return handler

    def on_record(self, handler: OnRecord) -> OnRecord:
        self._on_record.append(handler)
        return handler

    def install(self, sessions: sessionmaker[Any]) -> None:
        sessions.configure(info={BUS_KEY: self})  # every session of this app knows its bus
        sa_event.listen(sessions, "before_commit", self._before_commit)
        sa_event.listen(sessions, "after_commit", self._on_commit)
        sa_event.listen(sessions, "after_rollback", self._drop)

    def _before_commit(self, session: OrmSession) -> None:
        handled = 0
        deferred: list[Callable[[], None]] = session.info.setdefault(_DEFERRED_KEY, [])
        for _ in range(MAX_ROUNDS):
            events = session.info.get(EVENTS_KEY, [])
            fresh = events[handled:]
            if not fresh:
                return
            handled = len(events)
            for handler in self._in_transaction:
                then = handler(session, fresh)
                if then is not None:
                    deferred.append(then)
        raise RuntimeError(f"events kept recording events after {MAX_ROUNDS} rounds")

    def _recorded(self, session: OrmSession, happened: DomainEvent) -> None:
        for handler in self._on_record:
            then = handler(session, happened)
            if then is not None:
                session.info.setdefault(_FINALLY_KEY, []).append(then)

    def _on_commit(self, session: OrmSession) -> None:
        events: list[DomainEvent] = session.info.pop(EVENTS_KEY, [])
        deferred: list[Callable[[], None]] = session.info.pop(_DEFERRED_KEY, [])
        for then in deferred:
            _safely(then)
        for ending in session.info.pop(_FINALLY_KEY, []):
            _safely(lambda ending=ending: ending(True))  # type: ignore[misc]
        if events:
            for handler in self._after_commit:
                _safely(lambda handler=handler: handler(events))  # type: ignore[misc]

    @staticmethod
    def _drop(session: OrmSession) -> None:
        session.info.pop(EVENTS_KEY, None)
        session.info.pop(_DEFERRED_KEY, None)
        for ending in session.info.pop(_FINALLY_KEY, []):
            _safely(lambda ending=ending: ending(False))  # type: ignore[misc]


def _safely(action: Callable[[], None]) -> None:
    try:
        action()
    except Exception:
        log.exception("an after-commit subscriber failed; the commit stands")
