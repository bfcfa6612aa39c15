"""A chair's step builds its push on the previous version's state instead of reading the
agenda and documents again. What it pushes must always equal a fresh read of the database,
whatever happens between steps (agenda edits, documents, renames, changes from elsewhere)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask

from ecabinet.agenda import service as agenda
from ecabinet.agenda.schemas import AgendaItemCreate
from ecabinet.db import Database
from ecabinet.documents.storage import Storage
from ecabinet.live.state import Snapshot, advanced, live_fields, snapshot
from ecabinet.meetings import service as meetings
from ecabinet.meetings.schemas import MeetingUpdate
from tests.factories import MeetingFixture, make_document, make_token
from tests.live.test_namespace import make_api_token, pushes, sio
from tests.live.test_transactions import statements


def fresh_state(database: Database, meeting_id: int) -> dict[str, Any]:
    with database.unit_of_work(write=False) as session:
        current = snapshot(session, meeting_id)
        assert current is not None
        return timeless(dict(current.for_view(frozenset())))


def timeless(state: dict[str, Any]) -> dict[str, Any]:
    """A state without the moment it was sent (every copy has its own)."""
    return {k: v for k, v in state.items() if k != "server_time"}


def test_advanced_only_builds_on_the_version_just_before_and_only_for_live_columns() -> None:
    live: Any = {
        "status": "live",
        "current_item_id": 3,
        "paused_at": None,
        "item_started_at": None,
        "announcement": "",
        "presenting_document_id": None,
        "presenting_page": None,
    }
    items: Any = [
        {"id": 3, "duration_minutes": 5, "spent_seconds": 0},
        {"id": 4, "duration_minutes": None, "spent_seconds": 0},
    ]
    shared: Any = {"meeting_id": 1, "version": 7, "items": items, **live_fields(live, items)}
    previous = Snapshot(1, shared, (), live)
    moved = advanced(previous, 8, {"current_item_id": 4}, {3: {"spent_seconds": 42}})
    assert moved is not None
    assert moved.shared["version"] == 8
    assert moved.shared["current_item_id"] == 4
    assert moved.shared["items"][0]["spent_seconds"] == 42  # the item left keeps its time
    assert moved.shared["timer"] == {
        "item_id": 4,
        "spent_seconds": 0,
        "running_since": None,
        "planned_seconds": None,
    }
    assert previous.shared["current_item_id"] == 3  # the cached one is not changed
    assert advanced(previous, 9, {"current_item_id": 4}) is None  # a version in between
    assert advanced(previous, 8, {"title": "Khác"}) is None  # not a live column
    assert advanced(previous, 8, {}, {3: {"title": "Khác"}}) is None  # nor an item's title


def test_a_step_after_a_push_reads_no_agenda_or_documents(
    app: Flask, app_db: Database, meeting: MeetingFixture
) -> None:
    chair = sio(app, auth={"token": make_api_token(app, meeting)})
    assert chair.emit("live:start", {"meeting_id": meeting.id}, callback=True)["ok"]
    with statements(app_db) as seen:
        ack = chair.emit("live:next", {"meeting_id": meeting.id}, callback=True)
    assert ack["ok"] is True
    assert not [s for s in seen if "agenda_item.position" in s or "FROM document" in s], seen
    # BEGIN, credential, meeting (gate, step), item ids, the item's time, the meeting UPDATE
    assert len(seen) <= 7, seen


@pytest.mark.parametrize("seed", [1, 2])
def test_every_push_equals_a_fresh_read_whatever_happens_between_steps(
    app: Flask,
    app_db: Database,
    app_storage: Storage,
    meeting: MeetingFixture,
    seed: int,
) -> None:
    chair = sio(app, auth={"token": make_api_token(app, meeting)})
    tablet = sio(app, auth={"token": make_token(app_db, meeting)})
    assert tablet.emit("meeting:join", {"meeting_id": meeting.id}, callback=True)["ok"]
    other_process = Database.from_url(app.config["DATABASE_URL"])  # commits no push sees

    def step(action: str) -> None:
        ack = chair.emit(f"live:{action}", {"meeting_id": meeting.id}, callback=True)
        assert ack["ok"] is True, ack

    def add_item() -> None:
        with app_db.unit_of_work() as session:
            agenda.add_item(
                session,
                actor=meeting.secretary.actor,
                meeting_id=meeting.id,
                data=AgendaItemCreate(title="Nội dung bổ sung", position=0),
            )

    def rename_elsewhere() -> None:
        with other_process.unit_of_work() as session:
            meetings.update_meeting(
                session,
                actor=meeting.secretary.actor,
                meeting_id=meeting.id,
                data=MeetingUpdate(title=f"Tên mới {seed}"),
            )

    plans: dict[int, list[Callable[[], object]]] = {
        1: [
            lambda: step("start"),
            lambda: step("next"),
            add_item,
            lambda: step("next"),
            lambda: make_document(app_db, app_storage, meeting, title="Tờ trình"),
            lambda: step("previous"),
            lambda: step("pause"),
            lambda: step("previous"),  # paused: the new item's clock waits for the resume
            lambda: step("resume"),
            lambda: step("next"),
            lambda: step("end"),
        ],
        2: [
            lambda: step("start"),
            rename_elsewhere,  # bumps the version where this process pushes nothing
            lambda: step("next"),
            lambda: step("next"),
            rename_elsewhere,
            lambda: step("previous"),
        ],
    }
    try:
        for action in plans[seed]:
            action()
            received = pushes(tablet)
            if received:
                assert timeless(received[-1]) == fresh_state(app_db, meeting.id)
        synced = tablet.emit("meeting:sync", {"meeting_id": meeting.id}, callback=True)["state"]
        assert timeless(synced) == fresh_state(app_db, meeting.id)
    finally:
        other_process.dispose()
