"""Delegates' own copies of Mật / Tối mật PDFs: every page stamped with their name, copy
number and time; the original untouched and still what staff get; one copy per revision and
delegate, served with Range support like any file."""

from __future__ import annotations

import hashlib
import io
import subprocess
from pathlib import Path

from flask import Flask
from flask.testing import FlaskClient
from pypdf import PdfReader
from sqlmodel import col, select

from ecabinet.db import Database
from ecabinet.documents.models import Document, StampedCopy
from ecabinet.documents.pdf import text_pdf
from ecabinet.documents.storage import Storage
from ecabinet.documents.watermark import StampText, copy_dir, stamp_pdf
from ecabinet.meetings.models import Meeting
from tests.conftest import Login
from tests.factories import MeetingFixture, make_attendee, make_document, make_token
from tests.tools import need

LONG = ["Nội dung tài liệu họp: Đảng ủy, Hội đồng nhân dân, Ủy ban nhân dân tỉnh. " * 20] * 60


def pages_text(pdf: bytes, tmp_path: Path) -> list[str]:
    pdftotext = need("pdftotext", "reads PDFs back")
    path = tmp_path / "x.pdf"
    path.write_bytes(pdf)
    done = subprocess.run(
        [pdftotext, "-enc", "UTF-8", str(path), "-"], capture_output=True, text=True, check=True
    )
    return [page for page in done.stdout.split("\f") if page.strip()]


def test_every_page_carries_the_stamp_and_the_original_is_untouched(tmp_path: Path) -> None:
    source = text_pdf("Báo cáo nhân sự", LONG)
    before = hashlib.sha256(source).hexdigest()
    text = StampText("Đinh Công Tráng", 3, "14:05 06/12/2026", "MẬT")
    stamped = stamp_pdf(source, text)
    assert hashlib.sha256(source).hexdigest() == before
    assert len(PdfReader(io.BytesIO(stamped)).pages) == len(PdfReader(io.BytesIO(source)).pages)
    pages = pages_text(stamped, tmp_path)
    assert len(pages) >= 10
    for page in pages:
        flat = " ".join(page.split())
        assert "MẬT · Bản số 3" in flat
        assert "cấp cho Đinh Công Tráng lúc 14:05 06/12/2026" in flat
        assert "Nội dung tài liệu họp" in flat  # the page's own text is still there


def secret_meeting(app_db: Database, meeting: MeetingFixture) -> None:
    with app_db.unit_of_work() as session:
        row = session.get(Meeting, meeting.id)
        assert row is not None
        row.confidentiality = "mat"


def tablet(app: Flask, app_db: Database, meeting: MeetingFixture, name: str) -> FlaskClient:
    client = app.test_client()
    token = make_token(app_db, meeting, make_attendee(app_db, meeting, name=name))
    assert client.get(f"/p/{token}").status_code == 302
    return client


def test_each_delegate_gets_a_numbered_copy_of_their_own_and_staff_the_original(
    app: Flask,
    client: FlaskClient,
    login: Login,
    app_db: Database,
    app_storage: Storage,
    meeting: MeetingFixture,
    tmp_path: Path,
) -> None:
    document = make_document(app_db, app_storage, meeting, title="Phương án nhân sự")
    secret_meeting(app_db, meeting)
    original = app_storage.read_bytes(document.sha256)
    first = tablet(app, app_db, meeting, "Trần Thị Mai")
    second = tablet(app, app_db, meeting, "Lê Quang Vinh")
    url = f"/documents/{document.id}/file"
    mine = first.get(url)
    assert mine.status_code == 200
    assert mine.data != original
    [page] = pages_text(mine.data, tmp_path)
    assert "Bản số 1 cấp cho Trần Thị Mai" in " ".join(page.split())
    theirs = second.get(url)
    assert "Bản số 2 cấp cho Lê Quang Vinh" in " ".join(
        pages_text(theirs.data, tmp_path)[0].split()
    )
    again = first.get(url)  # the same copy, the same bytes and ETag: pdf.js caches hold
    assert again.data == mine.data
    assert again.headers["ETag"] == mine.headers["ETag"]
    ranged = first.get(url, headers={"Range": "bytes=0-99", "If-Range": mine.headers["ETag"]})
    assert ranged.status_code == 206
    assert ranged.data == mine.data[:100]
    for response in (mine, theirs, again, ranged):
        response.close()
    with app_db.unit_of_work(write=False) as session:
        copies = session.exec(select(StampedCopy).order_by(col(StampedCopy.copy_number))).all()
    assert [(c.holder, c.copy_number) for c in copies] == [
        ("Trần Thị Mai", 1),
        ("Lê Quang Vinh", 2),
    ]
    login.as_staff(meeting.secretary)
    staff = client.get(url)
    assert staff.data == original  # staff read the original, signature and all
    staff.close()
    # ?original=1 gives a delegate their copy, never the unmarked file.
    asked = first.get(f"{url}?original=1")
    assert asked.data == mine.data
    asked.close()


def test_a_normal_document_is_served_as_it_is(
    app: Flask, app_db: Database, app_storage: Storage, meeting: MeetingFixture
) -> None:
    document = make_document(app_db, app_storage, meeting)
    reader = tablet(app, app_db, meeting, "Phan Văn Khải")
    response = reader.get(f"/documents/{document.id}/file")
    assert response.data == app_storage.read_bytes(document.sha256)
    response.close()
    with app_db.unit_of_work(write=False) as session:
        assert session.exec(select(StampedCopy)).all() == []


def test_deleting_the_document_removes_its_copies(
    app: Flask,
    client: FlaskClient,
    login: Login,
    app_db: Database,
    app_storage: Storage,
    meeting: MeetingFixture,
) -> None:
    document = make_document(app_db, app_storage, meeting)
    secret_meeting(app_db, meeting)
    reader = tablet(app, app_db, meeting, "Võ Thị Sáu")
    reader.get(f"/documents/{document.id}/file").close()
    assert any(copy_dir(app_storage, document.id).iterdir())
    csrf = login.as_staff(meeting.secretary)
    assert (
        client.delete(f"/api/v1/documents/{document.id}", headers={"X-CSRFToken": csrf}).status_code
        == 204
    )
    assert not copy_dir(app_storage, document.id).exists()
    with app_db.unit_of_work(write=False) as session:
        assert session.get(Document, document.id) is None
