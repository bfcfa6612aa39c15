"""Duplicating a meeting starts the next one: details, agenda, attendees and document links in
a new draft; the blobs are shared and outlive the source."""

from __future__ import annotations

from flask.testing import FlaskClient
from sqlmodel import col, select

from ecabinet.agenda.models import AgendaItem
from ecabinet.attendees.models import Attendee
from ecabinet.db import Database
from ecabinet.documents import service as documents
from ecabinet.documents.models import Audience, Document
from ecabinet.documents.storage import Storage
from ecabinet.meetings import service as meetings
from tests.factories import MeetingFixture, make_attendee, make_document, make_meeting
from tests.http.test_api import bearer


def test_a_duplicate_is_a_draft_with_the_agenda_attendees_and_document_links(
    client: FlaskClient, app_db: Database, app_storage: Storage, meeting: MeetingFixture
) -> None:
    an = make_attendee(app_db, meeting, name="Nguyễn Văn An")
    make_attendee(app_db, meeting, name="Trần Thị Bình")
    report = make_document(app_db, app_storage, meeting, title="Báo cáo chính trị")
    secret = make_document(app_db, app_storage, meeting, title="Tờ trình nhân sự")
    with app_db.unit_of_work() as session:
        doc = session.get(Document, report.id)
        assert doc is not None
        doc.agenda_item_id = meeting.item_ids[1]
        documents.set_audience(
            session,
            actor=meeting.secretary.actor,
            document_id=secret.id,
            audience=Audience.CHOSEN,
            attendee_ids=[an],
        )
    headers = bearer(client, meeting.secretary.username)
    answer = client.post(f"/api/v1/meetings/{meeting.id}/duplicate", headers=headers)
    assert answer.status_code == 201, answer.get_data(as_text=True)
    copy = answer.json
    assert copy["status"] == "draft"
    assert copy["title"].endswith("(bản sao)")
    assert copy["starts_at"] is None
    assert copy["chair_id"] == meeting.chair.id
    with app_db.unit_of_work(write=False) as session:
        items = session.exec(
            select(AgendaItem)
            .where(AgendaItem.meeting_id == copy["id"])
            .order_by(col(AgendaItem.position))
        ).all()
        assert [i.title for i in items] == [
            session.get(AgendaItem, i).title for i in meeting.item_ids
        ]
        people = {
            a.full_name: a.id
            for a in session.exec(select(Attendee).where(Attendee.meeting_id == copy["id"]))
        }
        assert set(people) == {"Nguyễn Văn An", "Trần Thị Bình"}
        copied = {
            d.title: d
            for d in session.exec(select(Document).where(Document.meeting_id == copy["id"]))
        }
        assert copied["Báo cáo chính trị"].sha256 == report.sha256
        assert copied["Báo cáo chính trị"].agenda_item_id == items[1].id
        restricted = copied["Tờ trình nhân sự"]
        assert restricted.audience == Audience.CHOSEN
        assert documents.audience_of(session, restricted) == {people["Nguyễn Văn An"]}
    # The source goes; the copy's document keeps its bytes (the blob is shared).
    with app_db.unit_of_work() as session:
        meetings.delete_meeting(session, actor=meeting.secretary.actor, meeting_id=meeting.id)
    assert app_storage.path_for(report.sha256).exists()


def test_only_those_who_prepare_a_meeting_may_duplicate_it(
    client: FlaskClient, app_db: Database, meeting: MeetingFixture
) -> None:
    stranger = make_meeting(app_db)
    chair = bearer(client, meeting.chair.username)
    assert client.post(f"/api/v1/meetings/{meeting.id}/duplicate", headers=chair).status_code == 403
    other = bearer(client, stranger.secretary.username)
    assert client.post(f"/api/v1/meetings/{meeting.id}/duplicate", headers=other).status_code == 404
    named = client.post(
        f"/api/v1/meetings/{meeting.id}/duplicate",
        json={"title": "Họp Ban Thường vụ tháng 1/2027"},
        headers=bearer(client, meeting.secretary.username),
    )
    assert named.status_code == 201
    assert named.json["title"] == "Họp Ban Thường vụ tháng 1/2027"
