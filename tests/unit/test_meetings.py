"""Meetings as a secretary prepares them: details, co-secretaries, concurrent edits, search,
and the lifecycle draft → published → live → ended → archived (docs/meetings.md)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from flask.testing import FlaskClient

from ecabinet.actor import Actor, Role
from ecabinet.agenda import service as agenda
from ecabinet.agenda.schemas import AgendaItemCreate
from ecabinet.db import Database
from ecabinet.errors import Conflict, Invalid, NotFound
from ecabinet.live import service as live
from ecabinet.meetings import lifecycle
from ecabinet.meetings import service as meetings
from ecabinet.meetings.schemas import MeetingCreate, MeetingFilters, MeetingUpdate
from ecabinet.pickup import service as pickup
from tests.factories import MeetingFixture, Staff, make_meeting, make_token, make_user
from tests.http.test_api import bearer

HANOI = ZoneInfo("Asia/Ho_Chi_Minh")


def create(database: Database, secretary: Staff, **fields: object) -> int:
    with database.unit_of_work() as session:
        meeting = meetings.create_meeting(
            session, actor=secretary.actor, data=MeetingCreate.model_validate(fields)
        )
        assert meeting.id is not None
        return meeting.id


def run(database: Database, action: str, meeting: MeetingFixture) -> str:
    with database.unit_of_work() as session:
        actor = meeting.secretary.actor
        if action in ("start", "end"):
            call = live.start_meeting if action == "start" else live.end_meeting
            return call(session, actor=actor, meeting_id=meeting.id).status
        return lifecycle.transition(
            session, actor=actor, meeting_id=meeting.id, action=action
        ).status


def test_the_lifecycle_goes_one_way_and_says_why_not(database: Database) -> None:
    meeting = make_meeting(database)
    assert run(database, "publish", meeting) == "published"
    with pytest.raises(Conflict) as twice:
        run(database, "publish", meeting)
    assert twice.value.code == "invalid_transition"
    assert "Đã công bố" in twice.value.message
    assert run(database, "unpublish", meeting) == "draft"
    assert run(database, "publish", meeting) == "published"
    with pytest.raises(Conflict) as early:
        run(database, "archive", meeting)
    assert early.value.code == "invalid_transition"
    assert run(database, "start", meeting) == "live"
    with pytest.raises(Conflict):
        run(database, "unpublish", meeting)
    assert run(database, "end", meeting) == "ended"
    assert run(database, "archive", meeting) == "archived"
    with pytest.raises(Conflict) as again:
        run(database, "start", meeting)
    assert again.value.code == "meeting_archived"


def test_publishing_needs_a_start_time(database: Database) -> None:
    secretary = make_user(database, Role.SECRETARY)
    meeting_id = create(database, secretary, title="Hội nghị Ban Chấp hành")
    with database.unit_of_work() as session, pytest.raises(Conflict) as refused:
        lifecycle.publish(session, actor=secretary.actor, meeting_id=meeting_id)
    assert refused.value.code == "starts_at_required"
    assert refused.value.field == "starts_at"


@pytest.mark.parametrize(
    ("final", "code"), [("ended", "meeting_ended"), ("archived", "meeting_archived")]
)
def test_a_held_meeting_is_read_only_and_kept(database: Database, final: str, code: str) -> None:
    meeting = make_meeting(database)
    run(database, "start", meeting)
    run(database, "end", meeting)
    if final == "archived":
        run(database, "archive", meeting)
    actor = meeting.secretary.actor
    with database.unit_of_work() as session, pytest.raises(Conflict) as edit:
        meetings.update_meeting(
            session, actor=actor, meeting_id=meeting.id, data=MeetingUpdate(title="Tên khác")
        )
    assert edit.value.code == code
    with database.unit_of_work() as session, pytest.raises(Conflict) as add:
        agenda.add_item(
            session, actor=actor, meeting_id=meeting.id, data=AgendaItemCreate(title="Thêm")
        )
    assert add.value.code == code
    with database.unit_of_work() as session, pytest.raises(Conflict) as delete:
        meetings.delete_meeting(session, actor=actor, meeting_id=meeting.id)
    assert delete.value.code == "meeting_held"


def test_archiving_ends_the_delegates_links(database: Database) -> None:
    meeting = make_meeting(database)
    token = make_token(database, meeting)
    for action in ("start", "end"):
        run(database, action, meeting)
    with database.unit_of_work(write=False) as session:
        assert pickup.resolve_token(session, raw=token) is not None
    run(database, "archive", meeting)
    with database.unit_of_work(write=False) as session:
        assert pickup.resolve_token(session, raw=token) is None


def test_an_edit_from_an_older_revision_is_refused(database: Database) -> None:
    meeting = make_meeting(database)
    actor = meeting.secretary.actor
    with database.unit_of_work(write=False) as session:
        seen = meetings.get_meeting(session, meeting.id).revision
    with database.unit_of_work() as session:
        saved = meetings.update_meeting(
            session,
            actor=actor,
            meeting_id=meeting.id,
            data=MeetingUpdate(title="A", revision=seen),
        )
        assert saved.revision == seen + 1
    with database.unit_of_work() as session, pytest.raises(Conflict) as stale:
        meetings.update_meeting(
            session,
            actor=actor,
            meeting_id=meeting.id,
            data=MeetingUpdate(title="B", revision=seen),
        )
    assert stale.value.code == "edit_conflict"
    with database.unit_of_work(write=False) as session:
        assert meetings.get_meeting(session, meeting.id).title == "A"


def test_the_end_comes_after_the_start(database: Database) -> None:
    secretary = make_user(database, Role.SECRETARY)
    start = datetime(2026, 12, 20, 1, 0, tzinfo=UTC)
    with pytest.raises(Invalid) as wrong:
        create(
            database, secretary, title="Họp", starts_at=start, ends_at=start - timedelta(hours=1)
        )
    assert wrong.value.field == "ends_at"
    meeting_id = create(database, secretary, title="Họp", starts_at=start)
    with database.unit_of_work() as session, pytest.raises(Invalid):
        meetings.update_meeting(
            session,
            actor=secretary.actor,
            meeting_id=meeting_id,
            data=MeetingUpdate(ends_at=start),
        )


def test_co_secretaries_prepare_the_meeting_until_they_are_removed(database: Database) -> None:
    meeting = make_meeting(database)
    other = make_user(database, Role.SECRETARY)
    chair = make_user(database, Role.CHAIR)
    lead = meeting.secretary.actor
    with database.unit_of_work() as session, pytest.raises(Invalid) as not_a_secretary:
        meetings.update_meeting(
            session, actor=lead, meeting_id=meeting.id, data=MeetingUpdate(secretary_ids=[chair.id])
        )
    assert not_a_secretary.value.field == "secretary_ids"
    with database.unit_of_work() as session:
        meetings.update_meeting(
            session, actor=lead, meeting_id=meeting.id, data=MeetingUpdate(secretary_ids=[other.id])
        )
    with database.unit_of_work() as session:
        meetings.update_meeting(
            session, actor=other.actor, meeting_id=meeting.id, data=MeetingUpdate(location="P.2")
        )
        row = meetings.meeting_row(session, meeting.id)
        assert row is not None
        assert row.secretary_ids == {meeting.secretary.id, other.id}
        listed = visible(session, other.actor)
        assert [m.id for m in listed] == [meeting.id]
    with database.unit_of_work() as session:
        meetings.update_meeting(
            session, actor=lead, meeting_id=meeting.id, data=MeetingUpdate(secretary_ids=[])
        )
    with database.unit_of_work() as session, pytest.raises(NotFound):
        meetings.update_meeting(
            session, actor=other.actor, meeting_id=meeting.id, data=MeetingUpdate(location="P.3")
        )


def test_search_ignores_diacritics_and_filters_by_state_and_local_day(database: Database) -> None:
    secretary = make_user(database, Role.SECRETARY)
    day = datetime(2026, 12, 21, 7, 30, tzinfo=HANOI)  # 00:30 UTC: the local day matters
    ids = {
        "tv": create(database, secretary, title="Họp Ban Thường vụ", starts_at=day),
        "hn": create(
            database,
            secretary,
            title="Hội nghị cán bộ",
            organiser="Văn phòng Đảng ủy",
            starts_at=day + timedelta(days=1),
        ),
        "none": create(database, secretary, title="Họp chưa có ngày"),
    }

    def found(**filters: object) -> list[int]:
        with database.unit_of_work(write=False) as session:
            page, total = meetings.search_meetings(
                session,
                actor=secretary.actor,
                filters=MeetingFilters.model_validate(filters),
                zone=HANOI,
            )
        assert total == len(page)
        return [m.id for m in page if m.id is not None]

    assert found(q="hop") == [ids["tv"], ids["none"]]
    assert found(q="THUONG VU") == [ids["tv"]]
    assert found(q="dang uy") == [ids["hn"]]
    assert found(q="50%_") == []
    assert found(date_from=date(2026, 12, 21), date_to=date(2026, 12, 21)) == [ids["tv"]]
    assert found(date_from=date(2026, 12, 22)) == [ids["hn"]]
    assert found(status="published") == []
    assert found() == [ids["hn"], ids["tv"], ids["none"]]  # newest first, undated last
    with database.unit_of_work(write=False) as session:
        page, total = meetings.search_meetings(
            session, actor=secretary.actor, filters=MeetingFilters(per_page=2, page=2)
        )
    assert total == 3
    assert [m.id for m in page] == [ids["none"]]


def test_the_meeting_api_pages_filters_and_moves_through_the_lifecycle(
    client: FlaskClient, meeting: MeetingFixture, app_db: Database
) -> None:
    other = make_meeting(app_db)
    headers = bearer(client, meeting.secretary.username)
    listed = client.get("/api/v1/meetings?q=ban+thuong+vu&per_page=10", headers=headers)
    assert listed.status_code == 200
    assert listed.json["total"] == 1
    assert [m["id"] for m in listed.json["items"]] == [meeting.id]
    assert listed.json["items"][0]["secretary_ids"] == [meeting.secretary.id]
    bad = client.get("/api/v1/meetings?status=huy", headers=headers)
    assert bad.status_code == 422
    assert bad.json["error"]["field"] == "status"
    published = client.post(f"/api/v1/meetings/{meeting.id}/publish", headers=headers)
    assert published.status_code == 200
    assert published.json["status"] == "published"
    assert client.post(f"/api/v1/meetings/{other.id}/publish", headers=headers).status_code == 404
    revision = published.json["revision"]
    first = client.patch(
        f"/api/v1/meetings/{meeting.id}",
        json={"kind": "Ban Thường vụ", "revision": revision},
        headers=headers,
    )
    assert first.status_code == 200
    stale = client.patch(
        f"/api/v1/meetings/{meeting.id}",
        json={"kind": "Hội nghị", "revision": revision},
        headers=headers,
    )
    assert stale.status_code == 409
    assert stale.json["error"]["code"] == "edit_conflict"


def visible(session: Any, actor: Actor) -> list[Any]:
    """Every meeting `actor` may list (one page big enough for a test)."""
    from ecabinet.meetings.schemas import MeetingFilters

    return meetings.search_meetings(session, actor=actor, filters=MeetingFilters(per_page=200))[0]
