"""A delegate's private notes on a document, over HTTP from the tablet's session: served to
their author only, refused to staff, kept per attendee (not per card or tablet)."""

from __future__ import annotations

import logging
import re
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlmodel import col, func, select
from werkzeug.test import TestResponse

from ecabinet.actor import Role
from ecabinet.audit.models import AuditEntry
from ecabinet.db import Database
from ecabinet.documents import service as documents
from ecabinet.documents.models import Audience, DocumentNote
from ecabinet.documents.notes import MAX_NOTE_LENGTH
from ecabinet.documents.storage import Storage
from ecabinet.live import service as live
from ecabinet.meetings import lifecycle
from ecabinet.pickup import devices
from ecabinet.pickup import service as pickup
from ecabinet.pickup.models import DeviceSession
from tests.conftest import Login
from tests.factories import (
    MeetingFixture,
    make_attendee,
    make_document,
    make_meeting,
    make_token,
    make_user,
)
from tests.http.test_api import bearer

NOTE = "Đề nghị làm rõ số liệu thu ngân sách quý III, trang 4."
_CSRF = re.compile(r'<meta name="csrf-token" content="([^"]+)"')


class Tablet:
    """A delegate's tablet: the session the card's link opened, and the page's CSRF token."""

    def __init__(self, client: FlaskClient, csrf: str) -> None:
        self.client = client
        self.csrf = csrf

    def get(self, document_id: int) -> TestResponse:
        return self.client.get(f"/api/v1/documents/{document_id}/note")

    def put(self, document_id: int, body: str, **fields: Any) -> TestResponse:
        return self.client.put(
            f"/api/v1/documents/{document_id}/note",
            json={"body": body, **fields},
            headers={"X-CSRFToken": self.csrf},
        )


def open_tablet(client: FlaskClient, token: str) -> Tablet:
    device = client.application.test_client()
    assert device.get(f"/p/{token}").status_code == 302
    page = device.get("/tablet")
    assert page.status_code == 200
    match = _CSRF.search(page.get_data(as_text=True))
    assert match, "the tablet page carries a CSRF token"
    return Tablet(device, match.group(1))


def tablet_of(
    client: FlaskClient, database: Database, meeting: MeetingFixture, attendee_id: int
) -> Tablet:
    return open_tablet(client, make_token(database, meeting, attendee_id))


def stored_notes(database: Database, document_id: int) -> int:
    with database.unit_of_work(write=False) as session:
        query = select(func.count()).where(col(DocumentNote.document_id) == document_id)
        return int(session.exec(query).one())


@pytest.fixture
def document_id(app_db: Database, app_storage: Storage, meeting: MeetingFixture) -> int:
    return make_document(app_db, app_storage, meeting, title="Báo cáo ngân sách").id


def test_author_reads_back_what_they_saved(
    client: FlaskClient, app_db: Database, meeting: MeetingFixture, document_id: int
) -> None:
    tablet = tablet_of(client, app_db, meeting, make_attendee(app_db, meeting))
    empty = tablet.get(document_id)
    assert empty.status_code == 200
    assert empty.json == {"document_id": document_id, "body": "", "updated_at": None}
    saved = tablet.put(document_id, NOTE)
    assert saved.status_code == 200, saved.json
    assert saved.json["body"] == NOTE
    assert saved.json["updated_at"].endswith("Z")
    assert saved.headers["Cache-Control"] == "private, no-store"
    assert tablet.get(document_id).json == saved.json


def test_another_delegate_gets_their_own_note_never_the_first_ones(
    client: FlaskClient, app_db: Database, meeting: MeetingFixture, document_id: int
) -> None:
    an = make_attendee(app_db, meeting, name="Nguyễn Văn An")
    binh = make_attendee(app_db, meeting, name="Trần Thị Bình")
    first = tablet_of(client, app_db, meeting, an)
    saved = first.put(document_id, NOTE).json
    other = tablet_of(client, app_db, meeting, binh)
    assert other.get(document_id).json == {
        "document_id": document_id,
        "body": "",
        "updated_at": None,
    }
    # Nothing the client sends chooses whose note it is.
    for query in (f"?attendee_id={an}", f"?attendee={an}", "?all=1"):
        asked = other.client.get(f"/api/v1/documents/{document_id}/note{query}")
        assert asked.json["body"] == ""
    smuggled = other.put(document_id, "của tôi", attendee_id=an)
    assert (smuggled.status_code, smuggled.json["error"]["code"]) == (422, "invalid")
    # An's note's time says nothing to Bình: he has no note, so it is only a stale edit.
    stale = other.put(document_id, "của tôi", expected_updated_at=saved["updated_at"])
    assert (stale.status_code, stale.json["error"]["code"]) == (409, "edit_conflict")
    assert NOTE not in stale.get_data(as_text=True)
    assert other.put(document_id, "Ghi chú của Bình").json["body"] == "Ghi chú của Bình"
    assert other.put(document_id, "").json["body"] == ""  # deletes Bình's, not An's
    assert first.get(document_id).json == saved
    assert NOTE not in other.client.get(f"/api/v1/meetings/{meeting.id}/state").get_data(
        as_text=True
    )


@pytest.mark.parametrize("role", ["secretary", "chair", "admin"])
def test_staff_are_refused_with_a_reason(
    client: FlaskClient,
    login: Login,
    app_db: Database,
    meeting: MeetingFixture,
    document_id: int,
    role: str,
) -> None:
    tablet_of(client, app_db, meeting, make_attendee(app_db, meeting)).put(document_id, NOTE)
    staff = {
        "secretary": meeting.secretary,
        "chair": meeting.chair,
        "admin": make_user(app_db, Role.ADMIN),
    }[role]
    auth = bearer(client, staff.username)
    url = f"/api/v1/documents/{document_id}/note"
    for response in (
        client.get(url, headers=auth),
        client.put(url, json={"body": "x"}, headers=auth),
    ):
        assert response.status_code == 403
        assert response.json["error"]["code"] == "notes_for_delegates_only"
        assert "đại biểu" in response.json["error"]["message"]
    csrf = login.as_staff(staff)  # a signed-in browser is refused the same way
    refused = client.put(url, json={"body": "x"}, headers={"X-CSRFToken": csrf})
    assert refused.json["error"]["code"] == "notes_for_delegates_only"
    assert stored_notes(app_db, document_id) == 1


def test_a_document_outside_the_delegates_audience_is_not_found(
    client: FlaskClient, app_db: Database, meeting: MeetingFixture, document_id: int
) -> None:
    an = make_attendee(app_db, meeting, name="An")
    binh = make_attendee(app_db, meeting, name="Bình")
    first = tablet_of(client, app_db, meeting, an)
    assert first.put(document_id, NOTE).status_code == 200
    with app_db.unit_of_work() as session:
        documents.set_audience(
            session,
            actor=meeting.secretary.actor,
            document_id=document_id,
            audience=Audience.CHOSEN,
            attendee_ids=[binh],
        )
    for response in (first.get(document_id), first.put(document_id, "sửa")):
        assert response.status_code == 404
        assert response.json["error"]["code"] == "document_not_found"
    assert tablet_of(client, app_db, meeting, binh).get(document_id).status_code == 200


def test_a_delegate_of_another_meeting_gets_404(
    client: FlaskClient, app_db: Database, meeting: MeetingFixture, document_id: int
) -> None:
    tablet_of(client, app_db, meeting, make_attendee(app_db, meeting)).put(document_id, NOTE)
    outsider = open_tablet(client, make_token(app_db, make_meeting(app_db)))
    assert outsider.get(document_id).status_code == 404
    assert outsider.put(document_id, "x").status_code == 404
    assert outsider.get(10**6).status_code == 404  # a document that does not exist
    assert stored_notes(app_db, document_id) == 1


def test_an_empty_body_deletes_the_note(
    client: FlaskClient, app_db: Database, meeting: MeetingFixture, document_id: int
) -> None:
    tablet = tablet_of(client, app_db, meeting, make_attendee(app_db, meeting))
    saved = tablet.put(document_id, NOTE).json
    cleared = tablet.put(document_id, "", expected_updated_at=saved["updated_at"])
    assert cleared.status_code == 200
    assert cleared.json == {"document_id": document_id, "body": "", "updated_at": None}
    assert stored_notes(app_db, document_id) == 0
    assert tablet.put(document_id, "").status_code == 200  # again: nothing to do, no error
    tablet.put(document_id, NOTE)
    assert tablet.put(document_id, "  \n\t ").json["updated_at"] is None  # blank is empty
    assert stored_notes(app_db, document_id) == 0


def test_too_long_a_note_is_refused_with_its_code(
    client: FlaskClient, app_db: Database, meeting: MeetingFixture, document_id: int
) -> None:
    tablet = tablet_of(client, app_db, meeting, make_attendee(app_db, meeting))
    assert tablet.put(document_id, "ạ" * MAX_NOTE_LENGTH).status_code == 200
    refused = tablet.put(document_id, "ạ" * (MAX_NOTE_LENGTH + 1))
    assert refused.status_code == 422
    assert refused.json["error"] == {
        "code": "too_long",
        "message": "Ghi chú dài tối đa 20.000 ký tự (ghi chú này có 20.001).",
        "field": "body",
    }
    control = tablet.put(document_id, "a\x00b")
    assert (control.status_code, control.json["error"]["code"]) == (422, "invalid_characters")
    assert len(tablet.get(document_id).json["body"]) == MAX_NOTE_LENGTH
    for bad in ({}, {"body": None}, {"body": 5}, {"body": "x", "expected_updated_at": "hôm qua"}):
        response = tablet.client.put(
            f"/api/v1/documents/{document_id}/note",
            json=bad,
            headers={"X-CSRFToken": tablet.csrf},
        )
        assert response.status_code == 422, bad


def test_a_stale_edit_from_the_other_tablet_is_a_conflict(
    client: FlaskClient, app_db: Database, meeting: MeetingFixture, document_id: int
) -> None:
    attendee = make_attendee(app_db, meeting)
    token = make_token(app_db, meeting, attendee)
    first, second = open_tablet(client, token), open_tablet(client, token)
    loaded = first.put(document_id, "bản 1").json["updated_at"]
    newer = second.put(document_id, "bản 2", expected_updated_at=loaded)
    assert newer.status_code == 200
    assert newer.json["updated_at"] > loaded
    stale = first.put(document_id, "bản 1, sửa", expected_updated_at=loaded)
    assert stale.status_code == 409
    assert stale.json["error"]["code"] == "edit_conflict"
    assert "máy khác" in stale.json["error"]["message"]
    # A retried save whose answer was lost: what it asks for is stored already, so it succeeds.
    retried = second.put(document_id, "bản 2", expected_updated_at=loaded)
    assert retried.json == newer.json
    # Without expected_updated_at the last save wins.
    assert first.put(document_id, "bản 3").json["body"] == "bản 3"
    assert second.get(document_id).json["body"] == "bản 3"


def test_notes_survive_a_new_card_for_the_same_attendee(
    client: FlaskClient, app_db: Database, meeting: MeetingFixture, document_id: int
) -> None:
    attendee = make_attendee(app_db, meeting)
    old = tablet_of(client, app_db, meeting, attendee)
    saved = old.put(document_id, NOTE).json
    reprinted = tablet_of(client, app_db, meeting, attendee)  # a new card, a new tablet
    assert reprinted.get(document_id).json == saved
    assert old.get(document_id).json == saved  # the tablet already in keeps working


def test_notes_go_with_their_document(
    client: FlaskClient, app_db: Database, meeting: MeetingFixture, document_id: int
) -> None:
    for name in ("An", "Bình"):
        tablet = tablet_of(client, app_db, meeting, make_attendee(app_db, meeting, name=name))
        assert tablet.put(document_id, f"{NOTE} ({name})").status_code == 200
    assert stored_notes(app_db, document_id) == 2
    auth = bearer(client, meeting.secretary.username)
    assert client.delete(f"/api/v1/documents/{document_id}", headers=auth).status_code == 204
    assert stored_notes(app_db, document_id) == 0
    assert tablet.get(document_id).status_code == 404


def test_a_revoked_tablet_or_card_gets_401(
    client: FlaskClient, app_db: Database, meeting: MeetingFixture, document_id: int
) -> None:
    attendee = make_attendee(app_db, meeting)
    token = make_token(app_db, meeting, attendee)
    tablet = open_tablet(client, token)
    assert tablet.put(document_id, NOTE).status_code == 200
    with app_db.unit_of_work() as session:
        device_ids = session.exec(
            select(DeviceSession.id).where(DeviceSession.attendee_id == attendee)
        ).all()
        for device_id in device_ids:
            assert device_id is not None
            devices.revoke_device(session, actor=meeting.secretary.actor, device_id=device_id)
        pickup.revoke_tokens(session, attendee_id=attendee)
    for response in (tablet.get(document_id), tablet.put(document_id, "sửa")):
        assert response.status_code == 401
        assert response.json["error"]["code"] == "unauthorized"
    stranger = client.application.test_client()
    assert stranger.get(f"/p/{token}").status_code == 404  # the revoked card opens nothing
    assert stranger.get(f"/api/v1/documents/{document_id}/note").status_code == 401
    # Its note is kept: a new card for the same delegate finds it.
    assert tablet_of(client, app_db, meeting, attendee).get(document_id).json["body"] == NOTE


def test_writes_from_the_tablet_session_need_its_csrf_token(
    client: FlaskClient, app_db: Database, meeting: MeetingFixture, document_id: int
) -> None:
    tablet = tablet_of(client, app_db, meeting, make_attendee(app_db, meeting))
    url = f"/api/v1/documents/{document_id}/note"
    forged = tablet.client.put(url, json={"body": "giả mạo"})
    assert (forged.status_code, forged.json["error"]["code"]) == (400, "csrf_failed")
    wrong = tablet.client.put(url, json={"body": "giả mạo"}, headers={"X-CSRFToken": "sai"})
    assert wrong.status_code == 400
    assert tablet.get(document_id).json["body"] == ""


def test_an_ended_meeting_keeps_its_notes_editable_until_archived(
    client: FlaskClient, app_db: Database, meeting: MeetingFixture, document_id: int
) -> None:
    tablet = tablet_of(client, app_db, meeting, make_attendee(app_db, meeting))
    with app_db.unit_of_work() as session:
        live.start_meeting(session, actor=meeting.secretary.actor, meeting_id=meeting.id)
    with app_db.unit_of_work() as session:
        live.end_meeting(session, actor=meeting.secretary.actor, meeting_id=meeting.id)
    assert tablet.put(document_id, NOTE).status_code == 200
    assert tablet.get(document_id).json["body"] == NOTE
    with app_db.unit_of_work() as session:
        lifecycle.archive(session, actor=meeting.secretary.actor, meeting_id=meeting.id)
    assert tablet.get(document_id).status_code == 401  # archiving ends delegates' access
    assert tablet.put(document_id, "sửa").status_code == 401


def test_the_note_is_neither_audited_nor_logged(
    client: FlaskClient,
    app_db: Database,
    meeting: MeetingFixture,
    document_id: int,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    tablet = tablet_of(client, app_db, meeting, make_attendee(app_db, meeting))
    with app_db.unit_of_work(write=False) as session:
        audited_before = int(session.exec(select(func.count()).select_from(AuditEntry)).one())
    tablet.put(document_id, NOTE)
    tablet.put(document_id, NOTE + " thêm", expected_updated_at="2020-01-01T00:00:00Z")
    tablet.put(document_id, "x" * (MAX_NOTE_LENGTH + 1) + NOTE)
    with app_db.unit_of_work(write=False) as session:
        entries = session.exec(select(AuditEntry)).all()
    assert len(entries) == audited_before
    assert all("ngân sách quý III" not in f"{e.subject} {e.changes}" for e in entries)
    assert "ngân sách quý III" not in caplog.text
