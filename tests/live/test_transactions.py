"""How much database work the hot paths do: a chair's control is one transaction (the
credential, the access check and the change share it); a join at the version of the last push
reuses that push's snapshot."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from flask import Flask
from sqlalchemy import event

from ecabinet.db import Database
from tests.factories import MeetingFixture, make_token
from tests.live.test_namespace import make_api_token, sio


@contextmanager
def statements(database: Database) -> Iterator[list[str]]:
    """The SQL statements issued, with "BEGIN" for each transaction begun (on SQLite our hook
    issues BEGIN itself; pg8000 begins implicitly, so count SQLAlchemy's begin event)."""
    seen: list[str] = []

    def note(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if not statement.lstrip().upper().startswith("BEGIN"):
            seen.append(statement[:80])

    def began(_conn: Any) -> None:
        seen.append("BEGIN")

    event.listen(database.engine, "before_cursor_execute", note)
    event.listen(database.engine, "begin", began)
    try:
        yield seen
    finally:
        event.remove(database.engine, "before_cursor_execute", note)
        event.remove(database.engine, "begin", began)


def begins(seen: list[str]) -> int:
    return seen.count("BEGIN")


def test_a_control_over_http_is_one_transaction(
    app: Flask, app_db: Database, meeting: MeetingFixture
) -> None:
    client = app.test_client()
    headers = {"Authorization": f"Bearer {make_api_token(app, meeting)}"}
    started = client.post(f"/api/v1/meetings/{meeting.id}/live/start", headers=headers)
    assert started.status_code == 200
    with statements(app_db) as seen:
        answer = client.post(f"/api/v1/meetings/{meeting.id}/live/next", headers=headers)
    assert answer.status_code == 200
    assert begins(seen) == 1, seen
    # credential, meeting, items, one UPDATE (current item and version), the snapshot's two
    assert len(seen) <= 7, seen


def test_a_control_over_a_socket_is_one_transaction(
    app: Flask, app_db: Database, meeting: MeetingFixture
) -> None:
    chair = sio(app, auth={"token": make_api_token(app, meeting)})
    chair.emit("live:start", {"meeting_id": meeting.id}, callback=True)
    with statements(app_db) as seen:
        ack = chair.emit("live:next", {"meeting_id": meeting.id}, callback=True)
    assert ack["ok"] is True
    assert begins(seen) == 1, seen


def test_a_join_at_the_pushed_version_reuses_the_snapshot(
    app: Flask, app_db: Database, meeting: MeetingFixture
) -> None:
    chair = sio(app, auth={"token": make_api_token(app, meeting)})
    pushed = chair.emit("live:start", {"meeting_id": meeting.id}, callback=True)["result"]
    tablet = sio(app, auth={"token": make_token(app_db, meeting)})
    with statements(app_db) as seen:
        state = tablet.emit("meeting:join", {"meeting_id": meeting.id}, callback=True)["state"]
    assert state["version"] == pushed["version"]
    assert [i["id"] for i in state["items"]] == meeting.item_ids
    assert not [s for s in seen if "agenda_item" in s], seen  # the push's snapshot served
    # The attendee's token names the meeting: no meeting row is read, only its version,
    # after joining the room, in a second transaction.
    assert not [s for s in seen if s.startswith("SELECT meeting.id")], seen
    assert begins(seen) == 2, seen
    assert len(seen) == 4, seen


def test_a_join_after_an_unpushed_change_reads_the_new_state(
    app: Flask, app_db: Database, meeting: MeetingFixture
) -> None:
    """A change committed where no push reached the cache (another process, a restart): the
    version differs, so the join reads the state again rather than serve an old one."""
    from ecabinet.meetings import service as meetings
    from ecabinet.meetings.schemas import MeetingUpdate

    tablet = sio(app, auth={"token": make_token(app_db, meeting)})
    before = tablet.emit("meeting:join", {"meeting_id": meeting.id}, callback=True)["state"]
    other_process = Database.from_url(app.config["DATABASE_URL"])  # no bus: no push, no cache
    try:
        with other_process.unit_of_work() as session:
            meetings.update_meeting(
                session,
                actor=meeting.secretary.actor,
                meeting_id=meeting.id,
                data=MeetingUpdate(title="Tên mới của cuộc họp"),
            )
    finally:
        other_process.dispose()
    again = sio(app, auth={"token": make_token(app_db, meeting)})
    state = again.emit("meeting:join", {"meeting_id": meeting.id}, callback=True)["state"]
    assert state["version"] > before["version"]
    assert state["title"] == "Tên mới của cuộc họp"
