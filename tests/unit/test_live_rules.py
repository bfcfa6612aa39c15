"""The live room's rules, as services (no Flask, no Socket.IO): the per-item clock across
steps, pauses and restarts; the announcement; presenter mode and who may see what it shows."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from ecabinet.actor import Role
from ecabinet.agenda import service as agenda
from ecabinet.agenda.schemas import AgendaItemCreate, AgendaItemUpdate
from ecabinet.db import Database
from ecabinet.documents import service as documents
from ecabinet.documents.models import Audience
from ecabinet.documents.storage import Storage
from ecabinet.errors import Conflict, Forbidden, Invalid, NotFound
from ecabinet.live import service as live
from ecabinet.live.state import MeetingState, snapshot
from ecabinet.meetings.service import MeetingRow
from tests.factories import MeetingFixture, make_attendee, make_document, make_meeting, make_user

T0 = datetime(2026, 12, 7, 1, 0, 0, tzinfo=UTC)


class Clock:
    """The services' clock, moved by hand."""

    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    clock = Clock()
    monkeypatch.setattr(live, "utcnow", clock)
    return clock


def act(database: Database, meeting: MeetingFixture, name: str, **kwargs: Any) -> MeetingRow:
    calls: dict[str, Callable[..., MeetingRow]] = {
        "start": live.start_meeting,
        "pause": live.pause_meeting,
        "resume": live.resume_meeting,
        "end": live.end_meeting,
        "step": live.step,
        "jump": live.jump_to,
        "announce": live.announce,
        "present": live.present,
    }
    call = calls[name]
    with database.unit_of_work() as session:
        return call(session, actor=meeting.chair.actor, meeting_id=meeting.id, **kwargs)


def state(database: Database, meeting: MeetingFixture, view: Any = frozenset()) -> MeetingState:
    with database.unit_of_work(write=False) as session:
        current = snapshot(session, meeting.id)
        assert current is not None
        return current.for_view(view)


def elapsed(now: datetime, shown: MeetingState) -> float:
    """What a client shows: spent seconds, plus the running stretch by the server's clock."""
    timer = shown["timer"]
    assert timer is not None
    running = timer["running_since"]
    extra = 0.0 if running is None else now.timestamp() - running / 1000
    return timer["spent_seconds"] + extra


def test_each_item_keeps_its_own_time_across_steps_and_returns(
    database: Database, clock: Clock
) -> None:
    meeting = make_meeting(database, items=3)
    first, second, _third = meeting.item_ids
    act(database, meeting, "start")
    clock.advance(90)
    shown = state(database, meeting)
    assert shown["timer"] is not None
    assert shown["timer"]["item_id"] == first
    assert elapsed(clock.now, shown) == pytest.approx(90)
    act(database, meeting, "step", delta=1)
    clock.advance(30)
    shown = state(database, meeting)
    items = {i["id"]: i for i in shown["items"]}
    assert items[first]["spent_seconds"] == 90  # planned vs actual on the chair's console
    assert elapsed(clock.now, shown) == pytest.approx(30)
    act(database, meeting, "step", delta=-1)  # back to the first: its time goes on from 90
    clock.advance(10)
    shown = state(database, meeting)
    assert shown["current_item_id"] == first
    assert elapsed(clock.now, shown) == pytest.approx(100)
    assert {i["id"]: i for i in shown["items"]}[second]["spent_seconds"] == 30


def test_a_pause_stops_the_clock_and_a_step_while_paused_waits_for_the_resume(
    database: Database, clock: Clock
) -> None:
    meeting = make_meeting(database, items=2)
    act(database, meeting, "start")
    clock.advance(20)
    act(database, meeting, "pause")
    clock.advance(600)  # the break
    shown = state(database, meeting)
    assert shown["paused"] is True
    assert elapsed(clock.now, shown) == pytest.approx(20)
    with pytest.raises(Conflict) as twice:
        act(database, meeting, "pause")
    assert twice.value.code == "meeting_already_paused"
    act(database, meeting, "step", delta=1)
    clock.advance(60)
    shown = state(database, meeting)
    assert shown["paused"] is True
    assert shown["current_item_id"] == meeting.item_ids[1]
    assert elapsed(clock.now, shown) == 0  # not counted while paused
    act(database, meeting, "resume")
    clock.advance(5)
    shown = state(database, meeting)
    assert shown["paused"] is False
    assert elapsed(clock.now, shown) == pytest.approx(5)
    with pytest.raises(Conflict) as not_paused:
        act(database, meeting, "resume")
    assert not_paused.value.code == "meeting_not_paused"


def test_the_timer_survives_a_restart_of_the_server(
    database: Database, db_url: str, clock: Clock
) -> None:
    """Stored as times: another process reading the same database shows the same clock."""
    meeting = make_meeting(database, items=2)
    act(database, meeting, "start")
    clock.advance(45)
    act(database, meeting, "step", delta=1)
    clock.advance(15)
    restarted = Database.from_url(db_url)
    try:
        shown = state(restarted, meeting)
    finally:
        restarted.dispose()
    assert elapsed(clock.now, shown) == pytest.approx(15)
    assert shown["items"][0]["spent_seconds"] == 45


def test_planned_time_is_in_the_timer_and_an_overrun_is_visible(
    database: Database, clock: Clock
) -> None:
    meeting = make_meeting(database, items=1)
    with database.unit_of_work() as session:
        agenda.update_item(
            session,
            actor=meeting.secretary.actor,
            item_id=meeting.item_ids[0],
            data=AgendaItemUpdate(duration_minutes=2),
        )
    act(database, meeting, "start")
    clock.advance(150)
    shown = state(database, meeting)
    assert shown["timer"] is not None
    assert shown["timer"]["planned_seconds"] == 120
    assert elapsed(clock.now, shown) - shown["timer"]["planned_seconds"] == pytest.approx(30)


def test_ending_closes_the_clock_and_clears_the_room(database: Database, clock: Clock) -> None:
    meeting = make_meeting(database, items=2)
    act(database, meeting, "start")
    act(database, meeting, "announce", text="Nghỉ giải lao 10 phút")
    clock.advance(12)
    act(database, meeting, "end")
    shown = state(database, meeting)
    assert shown["status"] == "ended"
    assert shown["timer"] is None
    assert shown["paused"] is False
    assert shown["announcement"] == ""
    assert shown["items"][0]["spent_seconds"] == 12
    for name, kwargs in (("pause", {}), ("step", {"delta": 1}), ("announce", {"text": "x"})):
        with pytest.raises(Conflict):
            act(database, meeting, name, **kwargs)


def test_jumping_to_the_current_item_is_refused_not_a_second_push(
    database: Database, clock: Clock
) -> None:
    meeting = make_meeting(database, items=2)
    act(database, meeting, "start")
    with pytest.raises(Conflict) as same:
        act(database, meeting, "jump", item_id=meeting.item_ids[0])
    assert same.value.code == "already_current"
    with pytest.raises(Invalid):
        act(database, meeting, "jump", item_id=10**6)


def test_the_announcement_is_one_line_within_its_limit_and_possible_before_the_start(
    database: Database, clock: Clock
) -> None:
    meeting = make_meeting(database, items=1)
    act(database, meeting, "announce", text="  Phiên họp bắt đầu\n lúc 8 giờ 30  ")
    assert state(database, meeting)["announcement"] == "Phiên họp bắt đầu lúc 8 giờ 30"
    with pytest.raises(Invalid) as long:
        act(database, meeting, "announce", text="a" * 501)
    assert long.value.code == "too_long"
    act(database, meeting, "announce", text="")
    assert state(database, meeting)["announcement"] == ""


def test_presenter_mode_names_a_page_only_to_those_who_may_read_the_document(
    database: Database, storage: Storage, clock: Clock
) -> None:
    meeting = make_meeting(database, items=2)
    chosen = make_attendee(database, meeting, name="Trần Thị Bình")
    other = make_attendee(database, meeting, name="Lê Văn Cường")
    report = make_document(database, storage, meeting, title="Tờ trình")
    with database.unit_of_work() as session:
        documents.set_audience(
            session,
            actor=meeting.secretary.actor,
            document_id=report.id,
            audience=Audience.CHOSEN,
            attendee_ids=[chosen],
        )
    act(database, meeting, "start")
    act(database, meeting, "present", document_id=report.id, page=1)
    with database.unit_of_work(write=False) as session:
        current = snapshot(session, meeting.id)
        assert current is not None
        assert current.for_view(current.view_of(chosen))["presenting"] == {
            "document_id": report.id,
            "page": 1,
        }
        assert current.for_view(current.view_of(other))["presenting"] is None
        assert current.for_view("staff")["presenting"] is not None
    with pytest.raises(Invalid) as page:
        act(database, meeting, "present", document_id=report.id, page=report.page_count + 1)
    assert page.value.code == "page_out_of_range"
    elsewhere = make_meeting(database, items=1)
    foreign = make_document(database, storage, elsewhere, title="Của cuộc họp khác")
    with pytest.raises(Invalid) as outside:
        act(database, meeting, "present", document_id=foreign.id)
    assert outside.value.code == "document_not_found"
    act(database, meeting, "step", delta=1)  # moving on ends presenter mode
    assert state(database, meeting, "staff")["presenting"] is None


def test_only_the_chair_and_secretaries_control_the_room(database: Database, clock: Clock) -> None:
    meeting = make_meeting(database, items=1)
    outsider = make_user(database, Role.CHAIR)
    with database.unit_of_work() as session, pytest.raises(NotFound):
        live.pause_meeting(session, actor=outsider.actor, meeting_id=meeting.id)
    act(database, meeting, "start")
    with database.unit_of_work() as session:
        live.pause_meeting(session, actor=meeting.secretary.actor, meeting_id=meeting.id)
    with database.unit_of_work() as session, pytest.raises((NotFound, Forbidden)):
        live.announce(session, actor=outsider.actor, meeting_id=meeting.id, text="x")


def test_the_chair_edits_the_agenda_only_while_the_meeting_is_live(
    database: Database, clock: Clock
) -> None:
    meeting = make_meeting(database, items=2)
    rename = AgendaItemUpdate(title="Nội dung đã đổi tên")
    with database.unit_of_work() as session, pytest.raises(Forbidden):
        agenda.update_item(
            session, actor=meeting.chair.actor, item_id=meeting.item_ids[1], data=rename
        )
    act(database, meeting, "start")
    with database.unit_of_work() as session:
        agenda.update_item(
            session, actor=meeting.chair.actor, item_id=meeting.item_ids[1], data=rename
        )
        agenda.add_item(
            session,
            actor=meeting.chair.actor,
            meeting_id=meeting.id,
            data=AgendaItemCreate(title="Nội dung phát sinh", position=1),
        )
    titles = [i["title"] for i in state(database, meeting)["items"]]
    assert titles[1:] == ["Nội dung phát sinh", "Nội dung đã đổi tên"]
    with database.unit_of_work() as session:  # and reorders it
        agenda.move_item(
            session, actor=meeting.chair.actor, item_id=meeting.item_ids[1], position=0
        )
    titles = [i["title"] for i in state(database, meeting)["items"]]
    assert titles[0] == "Nội dung đã đổi tên"
    act(database, meeting, "end")
    with database.unit_of_work() as session, pytest.raises(Conflict):
        agenda.update_item(
            session, actor=meeting.secretary.actor, item_id=meeting.item_ids[1], data=rename
        )
