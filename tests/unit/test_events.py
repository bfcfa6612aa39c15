"""Domain events on the unit of work: handed over after the commit, in order, never after a
rollback, and a failing subscriber never undoes or blocks the commit."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from ecabinet.db import Database
from ecabinet.events import DomainEvent, EventBus, record
from ecabinet.meetings.events import MeetingChanged
from ecabinet.meetings.models import Meeting
from tests.factories import make_meeting


@dataclass(frozen=True)
class Noted(DomainEvent):
    meeting_id: int
    n: int


@pytest.fixture
def bus(database: Database) -> EventBus:
    events = EventBus()
    events.install(database.sessions)
    return events


def collect(bus: EventBus) -> list[DomainEvent]:
    seen: list[DomainEvent] = []
    bus.after_commit(seen.extend)
    return seen


def test_subscribers_get_the_events_after_the_commit_in_order(
    database: Database, bus: EventBus
) -> None:
    seen = collect(bus)
    committed_when_seen: list[bool] = []

    def check_committed(events: Sequence[DomainEvent]) -> None:
        with database.unit_of_work(write=False) as other:
            committed_when_seen.append(other.get(Meeting, 1) is not None)

    bus.after_commit(check_committed)
    meeting = make_meeting(database, items=0)
    with database.unit_of_work() as session:
        for n in range(5):
            record(session, Noted(meeting.id, n))
        assert [e for e in seen if isinstance(e, Noted)] == []  # nothing before the commit
    assert [e.n for e in seen if isinstance(e, Noted)] == [0, 1, 2, 3, 4]
    assert all(committed_when_seen)


def test_a_rollback_drops_the_events(database: Database, bus: EventBus) -> None:
    seen = collect(bus)

    def fail() -> None:
        with database.unit_of_work() as session:
            record(session, Noted(1, 1))
            raise RuntimeError("the change failed")

    with pytest.raises(RuntimeError):
        fail()
    with database.unit_of_work():
        pass  # a later commit on a fresh unit of work carries nothing over
    assert seen == []


def test_a_failing_after_commit_subscriber_leaves_the_commit_and_the_others(
    database: Database, bus: EventBus, caplog: pytest.LogCaptureFixture
) -> None:
    def explode(events: Sequence[DomainEvent]) -> None:
        raise ValueError("subscriber bug")

    bus.after_commit(explode)
    seen = collect(bus)
    meeting = make_meeting(database, items=0)
    with database.unit_of_work() as session:
        session.execute(
            text("UPDATE meeting SET title = 'Đã đổi' WHERE id = :id"), {"id": meeting.id}
        )
        record(session, Noted(meeting.id, 1))
    with database.unit_of_work(write=False) as session:
        assert session.get(Meeting, meeting.id).title == "Đã đổi"
    assert any(isinstance(e, Noted) for e in seen)
    assert "subscriber failed" in caplog.text


def test_in_transaction_subscribers_write_with_the_change_and_defer_the_rest(
    database: Database, bus: EventBus
) -> None:
    meeting = make_meeting(database, items=0)
    after: list[str] = []

    def stamp(session: Session, events: Sequence[DomainEvent]) -> Callable[[], None] | None:
        for event in events:
            if isinstance(event, Noted):
                session.execute(
                    text("UPDATE meeting SET location = :loc WHERE id = :id"),
                    {"loc": f"ghi trong giao dịch {event.n}", "id": event.meeting_id},
                )
        return lambda: after.append("sau khi ghi")

    bus.in_transaction(stamp)

    def fail() -> None:
        with database.unit_of_work() as session:
            record(session, Noted(meeting.id, 1))
            session.flush()
            raise RuntimeError("rolled back")

    with pytest.raises(RuntimeError):
        fail()
    assert after == []
    with database.unit_of_work() as session:
        record(session, Noted(meeting.id, 2))
    assert after == ["sau khi ghi"]
    with database.unit_of_work(write=False) as session:
        assert session.get(Meeting, meeting.id).location == "ghi trong giao dịch 2"


def test_a_raising_in_transaction_subscriber_aborts_the_change(
    database: Database, bus: EventBus
) -> None:
    meeting = make_meeting(database, items=0)

    def refuse(session: Session, events: Sequence[DomainEvent]) -> None:
        raise RuntimeError("could not write the outbox row")

    bus.in_transaction(refuse)

    def change() -> None:
        with database.unit_of_work() as session:
            session.execute(
                text("UPDATE meeting SET title = 'Không lưu' WHERE id = :id"), {"id": meeting.id}
            )
            record(session, Noted(meeting.id, 1))

    with pytest.raises(RuntimeError):
        change()
    with database.unit_of_work(write=False) as session:
        assert session.get(Meeting, meeting.id).title != "Không lưu"


def test_touch_records_meeting_changed(database: Database, bus: EventBus) -> None:
    seen = collect(bus)
    make_meeting(database, items=2)
    changed = [e for e in seen if isinstance(e, MeetingChanged)]
    assert changed
    assert {e.meeting_id for e in changed} == {1}
