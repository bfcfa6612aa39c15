"""Revocation names whom it concerns: the sweep re-checks only those connections, with a
couple of queries however many tablets are open."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from flask import Flask
from sqlalchemy import event
from sqlmodel import select

from ecabinet.db import Database
from ecabinet.pickup import service as pickup
from ecabinet.pickup.models import AttendeeToken
from tests.factories import MeetingFixture, make_attendee, make_token
from tests.live.test_namespace import make_api_token, sio


@contextmanager
def counting_selects(database: Database) -> Iterator[list[str]]:
    statements: list[str] = []

    def note(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            statements.append(statement)

    event.listen(database.engine, "before_cursor_execute", note)
    try:
        yield statements
    finally:
        event.remove(database.engine, "before_cursor_execute", note)


def test_revoking_one_tablet_checks_only_it_in_one_query(
    app: Flask, app_db: Database, meeting: MeetingFixture
) -> None:
    tablets = []
    for n in range(30):
        attendee_id = make_attendee(app_db, meeting, name=f"Đại biểu {n}")
        tablet = sio(app, auth={"token": make_token(app_db, meeting, attendee_id)})
        assert tablet.emit("meeting:join", {"meeting_id": meeting.id}, callback=True)["ok"]
        tablets.append((attendee_id, tablet))
    chair = sio(app, auth={"token": make_api_token(app, meeting)})
    chair.emit("meeting:join", {"meeting_id": meeting.id}, callback=True)
    namespace = app.extensions["ecabinet.live"]
    revoked_id, revoked_tablet = tablets[7]
    with app_db.unit_of_work() as session:
        pickup.revoke_tokens(session, attendee_id=revoked_id)
    namespace.wait_for_sweeps()  # started by the commit; the sweep itself is counted below
    assert not revoked_tablet.is_connected()
    assert all(t.is_connected() for aid, t in tablets if aid != revoked_id)
    assert chair.is_connected()

    # The same sweep again, counted: one query for the attendee tokens concerned.
    from ecabinet.events import AccessRevoked

    second_id, second_tablet = tablets[3]
    with app_db.unit_of_work() as session:
        row = session.exec(
            select(AttendeeToken).where(AttendeeToken.attendee_id == second_id)
        ).one()
        row.revoked_at = row.created_at  # behind the services' back: no sweep started
        session.add(row)
    with counting_selects(app_db) as selects:
        cut = namespace.sweep([AccessRevoked(meeting_id=meeting.id, attendee_ids=(second_id,))])
    assert cut == 1
    assert len(selects) == 1, selects
    assert not second_tablet.is_connected()


def test_deleting_a_meeting_cuts_everyone_in_its_room_and_no_one_else(
    app: Flask, app_db: Database, meeting: MeetingFixture
) -> None:
    from tests.factories import make_meeting

    other = make_meeting(app_db)
    inside = [sio(app, auth={"token": make_token(app_db, meeting)}) for _ in range(3)]
    for tablet in inside:
        tablet.emit("meeting:join", {"meeting_id": meeting.id}, callback=True)
    outside = sio(app, auth={"token": make_token(app_db, other)})
    outside.emit("meeting:join", {"meeting_id": other.id}, callback=True)
    from ecabinet.meetings import service as meetings

    with app_db.unit_of_work() as session:
        meetings.delete_meeting(session, actor=meeting.secretary.actor, meeting_id=meeting.id)
    app.extensions["ecabinet.live"].wait_for_sweeps()
    assert not any(t.is_connected() for t in inside)
    assert outside.is_connected()
