"""The meeting's record: who changed what, before and after, written with the change itself."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient

from ecabinet.agenda import service as agenda
from ecabinet.agenda.schemas import AgendaItemCreate, AgendaItemUpdate
from ecabinet.audit.service import meeting_log
from ecabinet.db import Database
from ecabinet.errors import Invalid
from ecabinet.meetings import lifecycle
from ecabinet.meetings import service as meetings
from ecabinet.meetings.schemas import MeetingUpdate
from tests.conftest import Login
from tests.factories import MeetingFixture, make_meeting
from tests.http.test_api import bearer


def log(
    database: Database, meeting: MeetingFixture
) -> list[tuple[str, bool, list[tuple[str, str, str]]]]:
    with database.unit_of_work(write=False) as session:
        entries, total = meeting_log(session, actor=meeting.secretary.actor, meeting_id=meeting.id)
    assert total == len(entries)
    return [(e.action, e.after_publishing, e.changes) for e in reversed(entries)]


def test_changes_are_recorded_with_who_before_and_after_and_whether_published(
    app_db: Database, meeting: MeetingFixture
) -> None:
    database = app_db  # the app's database: its event bus writes the record
    actor = meeting.secretary.actor
    with database.unit_of_work() as session:
        meetings.update_meeting(
            session, actor=actor, meeting_id=meeting.id, data=MeetingUpdate(location="Hội trường A")
        )
    with database.unit_of_work() as session:
        lifecycle.publish(session, actor=actor, meeting_id=meeting.id)
    with database.unit_of_work() as session:
        agenda.update_item(
            session,
            actor=actor,
            item_id=meeting.item_ids[0],
            data=AgendaItemUpdate(presenter="Đồng chí Lan"),
        )
    entries = log(database, meeting)
    actions = [a for a, _after, _changes in entries]
    assert actions[: len(meeting.item_ids) + 1] == ["meeting.create"] + ["agenda.add"] * len(
        meeting.item_ids
    )
    assert entries[-3] == (
        "meeting.update",
        False,
        [("location", "Phòng họp số 1", "Hội trường A")],
    )
    assert entries[-2] == ("meeting.publish", False, [("status", "Bản nháp", "Đã công bố")])
    assert entries[-1] == ("agenda.update", True, [("presenter", "Đồng chí Hùng", "Đồng chí Lan")])


def test_a_change_that_fails_leaves_no_entry(app_db: Database, meeting: MeetingFixture) -> None:
    before = log(app_db, meeting)

    def add_then_fail() -> None:
        with app_db.unit_of_work() as session:
            agenda.add_item(
                session,
                actor=meeting.secretary.actor,
                meeting_id=meeting.id,
                data=AgendaItemCreate(title="Mới"),
            )
            raise Invalid("đổi ý")  # the unit of work rolls back

    with pytest.raises(Invalid):
        add_then_fail()
    assert log(app_db, meeting) == before


def test_the_record_is_for_those_who_prepare_the_meeting(
    client: FlaskClient, login: Login, app_db: Database, meeting: MeetingFixture
) -> None:
    other = make_meeting(app_db)
    assert (
        client.get(
            f"/api/v1/meetings/{meeting.id}/log", headers=bearer(client, meeting.chair.username)
        ).status_code
        == 403
    )
    assert (
        client.get(
            f"/api/v1/meetings/{meeting.id}/log", headers=bearer(client, other.secretary.username)
        ).status_code
        == 404
    )
    listed = client.get(
        f"/api/v1/meetings/{meeting.id}/log", headers=bearer(client, meeting.secretary.username)
    )
    assert listed.status_code == 200
    assert listed.json[-1]["action"] == "meeting.create"
    login.as_staff(meeting.secretary)
    page = client.get(f"/meetings/{meeting.id}/log").get_data(as_text=True)
    assert "Tạo cuộc họp" in page
    assert meeting.secretary.username in page
