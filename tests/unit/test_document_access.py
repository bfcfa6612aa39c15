"""Mật / Tối mật documents: no byte leaves without a record of who viewed it, one row per
viewing (not per Range request); the level is the higher of the document's and meeting's."""

from __future__ import annotations

import io
import json
from datetime import timedelta

import pytest
from flask.testing import FlaskClient
from sqlmodel import col, select

from ecabinet.actor import Actor
from ecabinet.audit.models import AuditEntry
from ecabinet.db import Database
from ecabinet.documents import access
from ecabinet.documents import service as documents
from ecabinet.documents.models import Document, DocumentAccess
from ecabinet.documents.schemas import DocumentUpdate
from ecabinet.documents.storage import Storage
from ecabinet.errors import Invalid
from ecabinet.live.state import snapshot
from ecabinet.meetings import service as meetings
from ecabinet.meetings.models import Confidentiality
from ecabinet.meetings.schemas import MeetingUpdate
from ecabinet.pickup.models import DeviceSession
from ecabinet.timeutil import utcnow
from tests.conftest import Login
from tests.factories import (
    MeetingFixture,
    make_attendee,
    make_document,
    make_meeting,
    make_token,
)


def set_level(database: Database, meeting: MeetingFixture, document_id: int, level: str) -> None:
    with database.unit_of_work() as session:
        documents.update_document(
            session,
            actor=meeting.secretary.actor,
            document_id=document_id,
            data=DocumentUpdate(confidentiality=Confidentiality(level)),
        )


def rows(database: Database) -> list[DocumentAccess]:
    with database.unit_of_work(write=False) as session:
        return list(session.exec(select(DocumentAccess).order_by(DocumentAccess.id)))  # type: ignore[arg-type]


def tablet(client: FlaskClient, database: Database, meeting: MeetingFixture) -> FlaskClient:
    device = client.application.test_client()
    device.get(f"/p/{make_token(database, meeting)}")
    return device


def fetch(device: FlaskClient, url: str, **headers: str) -> int:
    response = device.get(url, headers=headers)
    response.close()
    return response.status_code


def test_a_normal_document_leaves_no_viewing_record(
    client: FlaskClient, app_db: Database, app_storage: Storage
) -> None:
    meeting = make_meeting(app_db)
    document = make_document(app_db, app_storage, meeting)
    device = tablet(client, app_db, meeting)
    assert fetch(device, f"/documents/{document.id}/file") == 200
    assert rows(app_db) == []


def test_every_response_carrying_a_secret_document_is_covered_by_one_viewing(
    client: FlaskClient, app_db: Database, app_storage: Storage
) -> None:
    meeting = make_meeting(app_db)
    document = make_document(app_db, app_storage, meeting)
    set_level(app_db, meeting, document.id, "mat")
    device = tablet(client, app_db, meeting)
    url = f"/documents/{document.id}/file"
    first = device.get(url)
    first.close()
    etag = first.headers["ETag"]  # of the delegate's stamped copy (documents.watermark)
    statuses = [
        first.status_code,
        fetch(device, url, Range="bytes=0-99"),
        fetch(device, url, Range="bytes=100-199"),
        fetch(device, url, **{"If-None-Match": etag}),
    ]
    head = device.head(url)
    head.close()
    assert statuses == [200, 206, 206, 304]
    assert head.status_code == 200
    [viewing] = rows(app_db)
    assert (viewing.via, viewing.requests, viewing.revision) == ("file", 5, 1)
    assert (viewing.confidentiality, viewing.title) == ("mat", document.title)
    assert viewing.attendee_id is not None
    assert viewing.user_id is None
    assert viewing.viewer_name  # the delegate's name as it was then
    assert viewing.device_id is not None  # and the tablet it read on

    assert fetch(device, f"{url}?download=1") == 200
    assert fetch(device, f"/documents/{document.id}/thumbnail.png") == 200
    assert [(r.via, r.requests) for r in rows(app_db)] == [
        ("file", 5),
        ("download", 1),
        ("thumbnail", 1),
    ]


def test_staff_viewings_are_recorded_too_and_listed(
    client: FlaskClient, login: Login, app_db: Database, app_storage: Storage
) -> None:
    meeting = make_meeting(app_db)
    document = make_document(app_db, app_storage, meeting)
    set_level(app_db, meeting, document.id, "toi_mat")
    login.as_staff(meeting.secretary)
    assert fetch(client, f"/documents/{document.id}/file") == 200
    assert fetch(client, f"/documents/{document.id}/revisions/1/file") == 200
    listed = client.get(f"/api/v1/documents/{document.id}/viewings").json
    assert [(v["via"], v["user_id"], v["confidentiality"]) for v in listed] == [
        ("revision", meeting.secretary.id, "toi_mat"),
        ("file", meeting.secretary.id, "toi_mat"),
    ]
    page = client.get(f"/meetings/{meeting.id}").get_data(as_text=True)
    assert "Tối mật" in page
    assert "Đã mở 2 lượt" in page


def test_a_document_of_a_secret_meeting_is_at_least_secret(
    client: FlaskClient, app_db: Database, app_storage: Storage
) -> None:
    meeting = make_meeting(app_db)
    document = make_document(app_db, app_storage, meeting)
    with app_db.unit_of_work() as session:
        meetings.update_meeting(
            session,
            actor=meeting.secretary.actor,
            meeting_id=meeting.id,
            data=MeetingUpdate(confidentiality=Confidentiality.SECRET),
        )
        state = snapshot(session, meeting.id)
    assert state is not None
    assert [d.state["confidentiality"] for d in state.documents] == ["mat"]
    assert fetch(tablet(client, app_db, meeting), f"/documents/{document.id}/file") == 200
    assert [r.confidentiality for r in rows(app_db)] == ["mat"]
    assert access.level_of("toi_mat", "mat") == Confidentiality.TOP_SECRET
    assert access.level_of("normal", "normal") == Confidentiality.NORMAL


def test_a_new_viewing_starts_after_a_pause(database: Database, storage: Storage) -> None:
    meeting = make_meeting(database)
    document = make_document(database, storage, meeting)
    attendee_id = make_attendee(database, meeting)
    reader = Actor.attendee(attendee_id, meeting.id, name="Nguyễn Văn An")
    start = utcnow()
    with database.unit_of_work() as session:
        row = session.get(Document, document.id)
        assert row is not None
        for minutes in (0, 10, 39, 80):  # 39 is within 30 of 10; 80 is not within 30 of 39
            access.record_viewing(
                session,
                actor=reader,
                document=row,
                level=Confidentiality.SECRET,
                revision=1,
                via="file",
                now=start + timedelta(minutes=minutes),
            )
            session.flush()
    assert [r.requests for r in rows(database)] == [3, 1]


def test_editing_a_document_checks_its_item_and_is_logged(
    app_db: Database, app_storage: Storage
) -> None:
    meeting = make_meeting(app_db)
    other = make_meeting(app_db)
    document = make_document(app_db, app_storage, meeting)
    with app_db.unit_of_work() as session:
        updated = documents.update_document(
            session,
            actor=meeting.secretary.actor,
            document_id=document.id,
            data=DocumentUpdate(title="Tờ trình số 12", agenda_item_id=meeting.item_ids[1]),
        )
        assert (updated.title, updated.agenda_item_id) == ("Tờ trình số 12", meeting.item_ids[1])
    with pytest.raises(Invalid) as refused, app_db.unit_of_work() as session:
        documents.update_document(
            session,
            actor=meeting.secretary.actor,
            document_id=document.id,
            data=DocumentUpdate(agenda_item_id=other.item_ids[0]),
        )
    assert refused.value.field == "agenda_item_id"
    with app_db.unit_of_work(write=False) as session:
        entry = session.exec(select(AuditEntry).where(AuditEntry.action == "document.update")).one()
    assert ["title", "Báo cáo", "Tờ trình số 12"] in json.loads(entry.changes)


def test_the_upload_form_sets_the_level(
    client: FlaskClient, login: Login, app_db: Database
) -> None:
    from tests.factories import sample_pdf

    meeting = make_meeting(app_db)
    csrf = login.as_staff(meeting.secretary)
    response = client.post(
        f"/api/v1/meetings/{meeting.id}/documents",
        data={"file": (io.BytesIO(sample_pdf()), "mat.pdf"), "confidentiality": "toi_mat"},
        content_type="multipart/form-data",
        headers={"X-CSRFToken": csrf},
    )
    assert response.status_code == 201, response.json
    assert response.json["confidentiality"] == "toi_mat"
    patched = client.patch(
        f"/api/v1/documents/{response.json['id']}",
        json={"confidentiality": "bi_mat"},
        headers={"X-CSRFToken": csrf},
    )
    assert patched.status_code == 422
    assert "Độ mật" in patched.json["error"]["message"]
    cleared = client.patch(
        f"/api/v1/documents/{response.json['id']}",
        json={"confidentiality": None},
        headers={"X-CSRFToken": csrf},
    )
    assert cleared.status_code == 422
    assert cleared.json["error"]["field"] == "confidentiality"


def test_the_edit_form_keeps_what_was_typed_on_an_error(
    client: FlaskClient, login: Login, app_db: Database, app_storage: Storage
) -> None:
    meeting = make_meeting(app_db)
    document = make_document(app_db, app_storage, meeting)
    csrf = login.as_staff(meeting.secretary)
    typed = "Tờ trình " + "rất dài " * 40  # past the 300 characters a title may hold
    page = client.post(
        f"/documents/{document.id}/edit",
        data={"csrf_token": csrf, "title": typed, "confidentiality": "mat"},
    )
    html = page.get_data(as_text=True)
    assert page.status_code == 422
    assert '<details class="document-form" open>' in html
    assert typed.strip() in html  # what was typed is back in the field
    assert "Tên tài liệu" in html
    assert '<option value="mat" selected>' in html
    saved = client.post(
        f"/documents/{document.id}/edit",
        data={"csrf_token": csrf, "title": "Tờ trình số 5", "confidentiality": "mat"},
    )
    assert saved.status_code == 302
    assert saved.headers["Location"].endswith(f"#doc-{document.id}")


def test_each_tablet_of_a_delegate_has_viewings_of_its_own(
    client: FlaskClient, app_db: Database, app_storage: Storage
) -> None:
    meeting = make_meeting(app_db)
    document = make_document(app_db, app_storage, meeting)
    token = make_token(app_db, meeting, make_attendee(app_db, meeting))
    devices = [client.application.test_client() for _ in range(2)]
    for device in devices:  # both in while nothing was Mật (no binding yet)
        assert device.get(f"/p/{token}").status_code == 302
    set_level(app_db, meeting, document.id, "mat")
    url = f"/documents/{document.id}/file"
    for device in devices:
        assert fetch(device, url) == 200
        assert fetch(device, url, Range="bytes=0-99") == 206
    viewings = rows(app_db)
    with app_db.unit_of_work(write=False) as session:
        tablets = [
            d.id for d in session.exec(select(DeviceSession).order_by(col(DeviceSession.id)))
        ]
    assert [(v.device_id, v.requests) for v in viewings] == [(tablets[0], 2), (tablets[1], 2)]
