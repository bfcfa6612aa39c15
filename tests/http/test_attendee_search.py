"""Finding attendees in a long list, without diacritics, and choosing a document's audience
one page or one search at a time without losing those chosen elsewhere."""

from __future__ import annotations

from flask.testing import FlaskClient

from ecabinet.attendees import service as attendees
from ecabinet.attendees.schemas import AttendeeCreate
from ecabinet.db import Database
from ecabinet.documents import service as documents
from ecabinet.documents.storage import Storage
from ecabinet.permissions import Perm
from tests.conftest import Login
from tests.factories import MeetingFixture, make_document, make_meeting
from tests.http.test_api import bearer


def add(database: Database, meeting: MeetingFixture, name: str, unit: str, phone: str) -> int:
    with database.unit_of_work() as session:
        attendee = attendees.add_attendee(
            session,
            actor=meeting.secretary.actor,
            meeting_id=meeting.id,
            data=AttendeeCreate(full_name=name, unit=unit, phone=phone),
        )
        assert attendee.id is not None
        return attendee.id


def test_search_ignores_diacritics_and_finds_phones_as_people_type_them(
    client: FlaskClient, app_db: Database
) -> None:
    meeting = make_meeting(app_db)
    add(app_db, meeting, "Nguyễn Thị Hường", "Xã Tân Lập", "0912 345 001")
    add(app_db, meeting, "Trần Văn Đức", "Thị trấn Đông Hòa", "")
    add(app_db, meeting, "Lê Hương", "Xã Tân Lập", "")
    auth = bearer(client, meeting.secretary.username)

    def names(q: str) -> tuple[list[str], str]:
        found = client.get(
            f"/api/v1/meetings/{meeting.id}/attendees", query_string={"q": q}, headers=auth
        )
        assert found.status_code == 200, found.json
        return [a["full_name"] for a in found.json], found.headers["X-Total-Count"]

    assert names("huong") == (["Nguyễn Thị Hường", "Lê Hương"], "2")
    assert names("tan lap nguyen") == (["Nguyễn Thị Hường"], "1")
    assert names("duc dong hoa") == (["Trần Văn Đức"], "1")
    assert names("0912345001") == (["Nguyễn Thị Hường"], "1")
    assert names("+84912345001") == (["Nguyễn Thị Hường"], "1")  # as the list stores it
    assert names("%") == ([], "0")  # a LIKE wildcard is a character here
    assert names("") == (["Nguyễn Thị Hường", "Trần Văn Đức", "Lê Hương"], "3")


def test_the_workspace_searches_and_keeps_the_search_across_pages(
    client: FlaskClient, login: Login, app_db: Database
) -> None:
    meeting = make_meeting(app_db)
    add(app_db, meeting, "Nguyễn Thị Hường", "Xã Tân Lập", "")
    add(app_db, meeting, "Trần Văn Đức", "Thị trấn Đông Hòa", "")
    login.as_staff(meeting.secretary)
    page = client.get(f"/meetings/{meeting.id}", query_string={"attendees_q": "dong hoa"})
    html = page.get_data(as_text=True)
    assert "Trần Văn Đức" in html
    assert "Nguyễn Thị Hường" not in html
    assert "Tìm thấy 1 đại biểu." in html
    assert 'Thành phần tham dự <small class="muted">(2)</small>' in html


def test_saving_an_audience_from_one_search_keeps_those_chosen_elsewhere(
    client: FlaskClient, login: Login, app_db: Database, app_storage: Storage
) -> None:
    meeting = make_meeting(app_db)
    an = add(app_db, meeting, "An", "Xã Tân Lập", "")
    binh = add(app_db, meeting, "Bình", "Xã Tân Lập", "")
    cuong = add(app_db, meeting, "Cường", "Thị trấn Đông Hòa", "")
    document = make_document(app_db, app_storage, meeting)
    csrf = login.as_staff(meeting.secretary)
    # First Đông Hòa's delegate is chosen, from a search that shows only them...
    client.post(
        f"/documents/{document.id}/audience",
        data={
            "csrf_token": csrf,
            "audience": "chosen",
            "attendee_ids": [str(cuong)],
            "shown_ids": str(cuong),
        },
    )
    # ...then Tân Lập's, from a search that shows only An and Bình: Cường stays chosen.
    client.post(
        f"/documents/{document.id}/audience",
        data={
            "csrf_token": csrf,
            "audience": "chosen",
            "attendee_ids": [str(an), str(binh)],
            "shown_ids": f"{an},{binh}",
        },
    )
    with app_db.unit_of_work(write=False) as session:
        row = documents.get_document(
            session,
            actor=meeting.secretary.actor,
            document_id=document.id,
            perm=Perm.EDIT_MEETING,
        )
        assert documents.audience_of(session, row) == {an, binh, cuong}
    # Unticking a shown one removes only that one.
    client.post(
        f"/documents/{document.id}/audience",
        data={
            "csrf_token": csrf,
            "audience": "chosen",
            "attendee_ids": [str(an)],
            "shown_ids": f"{an},{binh}",
        },
    )
    with app_db.unit_of_work(write=False) as session:
        row = documents.get_document(
            session,
            actor=meeting.secretary.actor,
            document_id=document.id,
            perm=Perm.EDIT_MEETING,
        )
        assert documents.audience_of(session, row) == {an, cuong}
