"""Documents read ahead by tablets at an address naming their content: immutable, kept no
longer than the credential, no `Vary: Cookie`, never for Mật documents, and fetching ahead
is not opening."""

from __future__ import annotations

import re
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlmodel import select

from ecabinet.db import Database
from ecabinet.documents import service as documents
from ecabinet.documents.models import Audience, DocumentOpened
from ecabinet.documents.storage import Storage
from ecabinet.meetings import service as meetings
from ecabinet.meetings.schemas import MeetingUpdate
from tests.factories import MeetingFixture, make_attendee, make_document, make_token

READ_AHEAD = {"X-Ecabinet-Precache": "1"}


def tablet(app: Flask, app_db: Database, meeting: MeetingFixture, attendee_id: int) -> FlaskClient:
    client = app.test_client()
    assert client.get(f"/p/{make_token(app_db, meeting, attendee_id)}").status_code == 302
    return client


def state(client: FlaskClient, meeting: MeetingFixture) -> dict[str, Any]:
    found = client.get(f"/api/v1/meetings/{meeting.id}/state")
    assert found.status_code == 200, found.json
    body: Any = found.json
    assert isinstance(body, dict)
    return body


def opened(app_db: Database, attendee_id: int) -> list[int]:
    with app_db.unit_of_work(write=False) as session:
        rows = session.exec(
            select(DocumentOpened.document_id).where(DocumentOpened.attendee_id == attendee_id)
        )
        return list(rows)


def test_a_document_read_ahead_is_cached_for_the_credentials_life_and_not_counted_as_read(
    app: Flask, app_db: Database, app_storage: Storage, meeting: MeetingFixture
) -> None:
    report = make_document(app_db, app_storage, meeting, title="Báo cáo")
    attendee_id = make_attendee(app_db, meeting)
    client = tablet(app, app_db, meeting, attendee_id)
    [doc] = state(client, meeting)["documents"]
    assert doc["cache_url"] == f"/documents/{report.id}/v/{report.sha256}"
    ahead = client.get(doc["cache_url"], headers=READ_AHEAD)
    assert ahead.status_code == 200
    assert ahead.data.startswith(b"%PDF")
    control = ahead.headers["Cache-Control"]
    matched = re.fullmatch(r"private, max-age=(\d+), immutable", control)
    assert matched is not None, control
    max_age = int(matched.group(1))
    assert 0 < max_age <= 86400 * 4  # the card holds until a few days after the meeting
    assert "Cookie" not in ahead.headers.get("Vary", "")
    assert ahead.headers["ETag"].strip('"') == report.sha256
    assert opened(app_db, attendee_id) == []  # fetched ahead, not read
    ranged = client.get(doc["cache_url"], headers={"Range": "bytes=0-99"})
    assert ranged.status_code == 206
    assert len(ranged.data) == 100
    read = client.get(doc["cache_url"])
    assert read.status_code == 200
    assert opened(app_db, attendee_id) == [report.id]


def test_a_stale_or_secret_document_has_no_cacheable_address(
    app: Flask, app_db: Database, app_storage: Storage, meeting: MeetingFixture
) -> None:
    report = make_document(app_db, app_storage, meeting, title="Báo cáo")
    client = tablet(app, app_db, meeting, make_attendee(app_db, meeting))
    gone = client.get(f"/documents/{report.id}/v/{'0' * 64}")
    assert gone.status_code == 404
    assert "đã có bản mới" in gone.get_data(as_text=True)
    with app_db.unit_of_work() as session:
        meetings.update_meeting(
            session,
            actor=meeting.secretary.actor,
            meeting_id=meeting.id,
            data=MeetingUpdate(confidentiality="mat"),
        )
    [doc] = state(client, meeting)["documents"]
    assert doc["cache_url"] is None  # read online only, stamped and recorded
    refused = client.get(f"/documents/{report.id}/v/{report.sha256}")
    assert refused.status_code == 404


def test_a_delegate_outside_the_audience_gets_nothing(
    app: Flask, app_db: Database, app_storage: Storage, meeting: MeetingFixture
) -> None:
    report = make_document(app_db, app_storage, meeting, title="Phương án nhân sự")
    chosen = make_attendee(app_db, meeting, name="Trần Thị Bình")
    with app_db.unit_of_work() as session:
        documents.set_audience(
            session,
            actor=meeting.secretary.actor,
            document_id=report.id,
            audience=Audience.CHOSEN,
            attendee_ids=[chosen],
        )
    other = tablet(app, app_db, meeting, make_attendee(app_db, meeting))
    assert state(other, meeting)["documents"] == []
    assert other.get(f"/documents/{report.id}/v/{report.sha256}").status_code == 404
    allowed = tablet(app, app_db, meeting, chosen)
    assert allowed.get(f"/documents/{report.id}/v/{report.sha256}").status_code == 200
