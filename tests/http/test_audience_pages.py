"""The secretary chooses who sees a document, on upload or later, from the workspace."""

from __future__ import annotations

import io

from flask import Flask
from flask.testing import FlaskClient

from ecabinet.db import Database
from ecabinet.documents.storage import Storage
from tests.conftest import Login, run_jobs
from tests.factories import MeetingFixture, make_attendee, make_document, make_token, sample_pdf


def documents_seen_by(
    client: FlaskClient, app_db: Database, meeting: MeetingFixture, attendee: int
) -> list[str]:
    tablet = client.application.test_client()
    tablet.get(f"/p/{make_token(app_db, meeting, attendee)}")
    state = tablet.get(f"/api/v1/meetings/{meeting.id}/state").json
    return [d["title"] for d in state["documents"]]


def test_upload_for_chosen_attendees_from_the_workspace(
    app: Flask, client: FlaskClient, login: Login, app_db: Database, meeting: MeetingFixture
) -> None:
    an = make_attendee(app_db, meeting, name="An")
    binh = make_attendee(app_db, meeting, name="Bình")
    csrf = login.as_staff(meeting.secretary)
    page = client.get(f"/meetings/{meeting.id}").get_data(as_text=True)
    assert "Người được xem" in page
    response = client.post(
        f"/meetings/{meeting.id}/documents",
        data={
            "csrf_token": csrf,
            "title": "Tờ trình nhân sự",
            "audience": "chosen",
            "upload_attendee": [str(an)],
            "file": (io.BytesIO(sample_pdf()), "to-trinh.pdf", "application/pdf"),
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    run_jobs(app)
    assert documents_seen_by(client, app_db, meeting, an) == ["Tờ trình nhân sự"]
    assert documents_seen_by(client, app_db, meeting, binh) == []
    assert "Chỉ dành cho 1 đại biểu" in client.get(f"/meetings/{meeting.id}").get_data(as_text=True)


def test_changing_a_documents_audience_from_the_workspace(
    client: FlaskClient,
    login: Login,
    app_db: Database,
    app_storage: Storage,
    meeting: MeetingFixture,
) -> None:
    an = make_attendee(app_db, meeting, name="An")
    binh = make_attendee(app_db, meeting, name="Bình")
    document = make_document(app_db, app_storage, meeting, title="Báo cáo")
    csrf = login.as_staff(meeting.secretary)
    assert documents_seen_by(client, app_db, meeting, binh) == ["Báo cáo"]
    response = client.post(
        f"/documents/{document.id}/audience",
        data={"csrf_token": csrf, "audience": "chosen", "attendee_ids": [str(an)]},
    )
    assert response.status_code == 302
    assert documents_seen_by(client, app_db, meeting, binh) == []
    assert documents_seen_by(client, app_db, meeting, an) == ["Báo cáo"]
    empty = client.post(
        f"/documents/{document.id}/audience", data={"csrf_token": csrf, "audience": "chosen"}
    )
    assert empty.status_code == 422
    assert "Chọn ít nhất một đại biểu" in empty.get_data(as_text=True)


def test_attendee_ids_past_the_id_column_are_a_clear_422(
    client: FlaskClient, app_db: Database, app_storage: Storage, meeting: MeetingFixture
) -> None:
    """Found by the fuzz run on PostgreSQL: 5221925832 reached an integer column (a 500)."""
    from tests.http.test_api import bearer, upload

    auth = bearer(client, meeting.secretary.username)
    response = upload(
        client, meeting.id, auth, sample_pdf(), audience="chosen", attendee_ids="8,5221925832"
    )
    assert response.status_code == 422, response.json
    document = make_document(app_db, app_storage, meeting)
    answer = client.put(
        f"/api/v1/documents/{document.id}/audience",
        json={"audience": "chosen", "attendee_ids": [5221925832]},
        headers=auth,
    )
    assert answer.status_code == 422, answer.json
