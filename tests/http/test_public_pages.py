"""The QR codes that are not cards: the meeting's public page (door and room screen) and a
cover sheet's verification page. Anyone may open them; neither gives any document's content."""

from __future__ import annotations

import io
import re

from flask import Flask
from flask.testing import FlaskClient
from PIL import Image
from sqlmodel import select

from ecabinet.db import Database
from ecabinet.documents.models import DocumentRevision
from ecabinet.documents.storage import Storage
from ecabinet.meetings import lifecycle
from ecabinet.meetings.models import Meeting
from tests.conftest import Login
from tests.factories import MeetingFixture, make_document, make_meeting, sample_pdf
from tests.tools import need_module
from tests.unit.test_revisions import check, revise


def public_code(app_db: Database, meeting: MeetingFixture) -> str:
    with app_db.unit_of_work(write=False) as session:
        row = session.get(Meeting, meeting.id)
        assert row is not None
        return row.public_code


def set_meeting(app_db: Database, meeting: MeetingFixture, **values: object) -> None:
    with app_db.unit_of_work() as session:
        row = session.get(Meeting, meeting.id)
        assert row is not None
        for name, value in values.items():
            setattr(row, name, value)


def text_of(response: object) -> str:
    """The page's words, tags left out but links kept (href="...") to look for."""
    html = response.get_data(as_text=True)  # type: ignore[attr-defined]
    words = re.sub(r"<(?!a )[^>]*>", "", html)
    return re.sub(r"\s+", " ", words)


def test_the_meeting_page_shows_what_the_door_may_show_and_no_document(
    client: FlaskClient, app_db: Database, app_storage: Storage, meeting: MeetingFixture
) -> None:
    make_document(app_db, app_storage, meeting, title="Dự thảo nghị quyết nhân sự")
    code = public_code(app_db, meeting)
    assert len(code) >= 12  # 72 random bits: the pages cannot be walked by counting
    draft = text_of(client.get(f"/m/{code}"))
    assert "đang được chuẩn bị" in draft
    assert "Họp Ban Thường vụ" not in draft  # a draft's details are not out yet
    with app_db.unit_of_work() as session:
        lifecycle.publish(session, actor=meeting.secretary.actor, meeting_id=meeting.id)
    page = text_of(client.get(f"/m/{code}"))
    assert "Họp Ban Thường vụ Đảng ủy" in page
    assert "Phòng họp số 1" in page
    assert "Nội dung 1: báo cáo tình hình" not in page  # the agenda only when allowed
    set_meeting(app_db, meeting, public_agenda=True)
    page = text_of(client.get(f"/m/{code}"))
    assert "I. Nội dung 1: báo cáo tình hình" in page
    assert "Dự thảo nghị quyết" not in page  # never a document
    assert "/documents/" not in page
    set_meeting(app_db, meeting, confidentiality="mat")  # a Mật meeting: never the agenda
    assert "Nội dung 1" not in text_of(client.get(f"/m/{code}"))
    assert client.get("/m/khong-co-ma-nay").status_code == 404
    assert client.get("/m/" + "x" * 300).status_code == 404


def test_the_meeting_qr_decodes_to_the_public_page(
    client: FlaskClient, app_db: Database, meeting: MeetingFixture
) -> None:
    zxingcpp = need_module("zxingcpp", "decodes QR codes")
    code = public_code(app_db, meeting)
    png = client.get(f"/m/{code}/qr.png")
    assert png.mimetype == "image/png"
    decoded = zxingcpp.read_barcodes(Image.open(io.BytesIO(png.data)))
    assert [d.text for d in decoded] == [f"http://localhost/m/{code}"]
    assert client.get("/m/nope/qr.png").status_code == 404


def test_the_secretary_chooses_whether_the_agenda_is_public(
    client: FlaskClient, login: Login, app_db: Database, meeting: MeetingFixture
) -> None:
    csrf = login.as_staff(meeting.secretary)
    workspace = client.get(f"/meetings/{meeting.id}").get_data(as_text=True)
    assert f"/m/{public_code(app_db, meeting)}" in workspace
    form = {"csrf_token": csrf, "title": "Họp Ban Thường vụ Đảng ủy", "confidentiality": "normal"}
    client.post(f"/meetings/{meeting.id}/edit", data={**form, "public_agenda": "true"})
    with app_db.unit_of_work(write=False) as session:
        assert session.get(Meeting, meeting.id).public_agenda is True
    client.post(f"/meetings/{meeting.id}/edit", data=form)  # the box unticked
    with app_db.unit_of_work(write=False) as session:
        assert session.get(Meeting, meeting.id).public_agenda is False


def test_a_cover_sheet_code_says_which_revision_and_whether_it_is_current(
    client: FlaskClient, app_db: Database, app_storage: Storage
) -> None:
    meeting = make_meeting(app_db)
    document = make_document(app_db, app_storage, meeting, title="Báo cáo tài chính 2026")
    with app_db.unit_of_work(write=False) as session:
        first = session.exec(select(DocumentRevision)).one()
    page = text_of(client.get(f"/v/{first.verify_code}"))
    assert "Đây là bản hiện hành (bản 1)" in page
    assert "Báo cáo tài chính 2026" in page
    assert "Thường" in page
    assert first.sha256 in page
    assert "Nội dung tài liệu họp" not in page  # nothing of the content
    assert "/documents/" not in page
    second = revise(app_db, app_storage, meeting, document.id, sample_pdf("Bản sửa"))
    assert check(app_db, app_storage, second) == "ready"
    page = text_of(client.get(f"/v/{first.verify_code}"))
    assert "đã được thay thế: đây là bản 1, bản hiện hành là bản 2" in page
    with app_db.unit_of_work(write=False) as session:
        newer = session.get(DocumentRevision, second.id)
        assert newer is not None
    assert "Đây là bản hiện hành (bản 2)" in text_of(client.get(f"/v/{newer.verify_code}"))
    missing = client.get("/v/khong-co-ma-nay")
    assert missing.status_code == 404
    assert "Không xác minh được" in text_of(missing)


def test_unknown_public_codes_are_throttled(app: Flask, client: FlaskClient) -> None:
    app.config["PICKUP_FAILURE_LIMIT"] = "3 per minute"
    statuses = [client.get(f"/v/doan-{n}").status_code for n in range(3)]
    statuses += [client.get("/m/doan").status_code]
    assert statuses == [404, 404, 404, 429]
