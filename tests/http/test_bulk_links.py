"""Tablet links for a whole meeting in one request, each with its token as a field."""

from __future__ import annotations

from flask.testing import FlaskClient

from ecabinet.db import Database
from ecabinet.pickup import service as pickup
from tests.factories import MeetingFixture, make_attendee, make_meeting
from tests.http.test_api import bearer


def resolves(database: Database, token: str) -> bool:
    with database.unit_of_work(write=False) as session:
        return pickup.resolve_token(session, raw=token) is not None


def test_one_request_issues_everyones_link_and_skips_working_ones_unless_told(
    client: FlaskClient, app_db: Database, meeting: MeetingFixture
) -> None:
    ids = [make_attendee(app_db, meeting, name=f"Đại biểu {n}") for n in range(5)]
    headers = bearer(client, meeting.secretary.username)
    url = f"/api/v1/meetings/{meeting.id}/links"
    first = client.post(url, headers=headers)
    assert first.status_code == 201, first.get_data(as_text=True)
    links = first.json["links"]
    assert [link["attendee_id"] for link in links] == ids
    assert all(link["url"].endswith(f"/p/{link['token']}") for link in links)
    assert all(resolves(app_db, link["token"]) for link in links)
    again = client.post(url, headers=headers)
    assert again.json == {"links": [], "skipped": ids}
    redo = client.post(url, json={"attendee_ids": ids[:2], "reissue": True}, headers=headers)
    assert [link["attendee_id"] for link in redo.json["links"]] == ids[:2]
    assert not resolves(app_db, links[0]["token"])  # the old card stops working
    assert resolves(app_db, links[2]["token"])  # the others keep theirs
    assert all(resolves(app_db, link["token"]) for link in redo.json["links"])


def test_links_only_for_this_meetings_attendees_and_by_its_secretaries(
    client: FlaskClient, app_db: Database, meeting: MeetingFixture
) -> None:
    other = make_meeting(app_db)
    stranger = make_attendee(app_db, other)
    headers = bearer(client, meeting.secretary.username)
    url = f"/api/v1/meetings/{meeting.id}/links"
    mixed = client.post(url, json={"attendee_ids": [stranger]}, headers=headers)
    assert mixed.status_code == 422
    assert mixed.json["error"]["code"] == "attendee_not_found"
    assert not resolves_any(app_db, other)
    chair = bearer(client, meeting.chair.username)
    assert client.post(url, headers=chair).status_code == 403
    single = client.post(
        f"/api/v1/attendees/{make_attendee(app_db, meeting)}/link", headers=headers
    )
    assert single.status_code == 201
    assert single.json["url"].endswith(single.json["token"])


def resolves_any(database: Database, meeting: MeetingFixture) -> bool:
    from sqlmodel import select

    from ecabinet.attendees.models import Attendee
    from ecabinet.pickup.models import AttendeeToken

    with database.unit_of_work(write=False) as session:
        found = session.exec(
            select(AttendeeToken.id).join(Attendee).where(Attendee.meeting_id == meeting.id)
        ).first()
        return found is not None
