"""Printouts: cards, agenda, cover sheets and poster, built by a job from the configured
public address. Every QR is decoded from the rendered PDF (pypdfium2 + zxing-cpp) back to a
link that works; every Vietnamese string is read back with pdftotext exactly as written."""

from __future__ import annotations

import re
import subprocess
import unicodedata
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlmodel import select

from ecabinet.audit.models import AuditEntry
from ecabinet.db import Database
from ecabinet.documents.storage import Storage
from ecabinet.meetings import lifecycle
from ecabinet.meetings.models import Meeting
from ecabinet.pickup.models import AttendeeToken
from ecabinet.printing import layouts, service
from ecabinet.printing.models import PrintKind, Printout, PrintStatus
from tests.conftest import Login, run_jobs
from tests.factories import MeetingFixture, make_attendee, make_document, make_meeting
from tests.tools import need, need_module

BASE = "http://10.0.0.5:5000"
NAMES = ["Nguyễn Thị Phượng", "Trần Văn Đức", "Lê Hoàng Yến", "Phạm Quốc Việt", "Đỗ Thu Hà"]


@pytest.fixture
def printing_app(app: Flask) -> Flask:
    app.config["PUBLIC_URL"] = BASE
    return app


def ask(client: FlaskClient, meeting_id: int, **body: Any) -> Any:
    return client.post(f"/api/v1/meetings/{meeting_id}/printouts", json=body)


def build(app: Flask, client: FlaskClient, meeting_id: int, **body: Any) -> bytes:
    response = ask(client, meeting_id, **body)
    assert response.status_code == 202, response.get_json()
    printout_id = response.get_json()["id"]
    run_jobs(app)
    state = client.get(f"/api/v1/printouts/{printout_id}").get_json()
    assert state["status"] == "ready", state
    assert state["done"] == state["total"]
    pdf = client.get(state["file_url"])
    assert pdf.status_code == 200
    assert pdf.mimetype == "application/pdf"
    data: bytes = pdf.data
    pdf.close()  # the file stays open until the response is closed
    return data


def decoded_codes(pdf: bytes) -> list[str]:
    pdfium = need_module("pypdfium2", "renders PDF pages")
    zxingcpp = need_module("zxingcpp", "decodes QR codes")
    document = pdfium.PdfDocument(pdf)
    found: list[str] = []
    for page in document:
        image = page.render(scale=150 / 72).to_pil()
        found += [code.text for code in zxingcpp.read_barcodes(image)]
    return found


def text_of(pdf: bytes, tmp_path: Path) -> str:
    pdftotext = need("pdftotext", "reads PDFs back")
    path = tmp_path / "out.pdf"
    path.write_bytes(pdf)
    done = subprocess.run(
        [pdftotext, "-enc", "UTF-8", str(path), "-"], capture_output=True, text=True, check=True
    )
    return unicodedata.normalize("NFC", done.stdout)


def signed_in(client: FlaskClient, login: Login, meeting: MeetingFixture) -> None:
    csrf = login.as_staff(meeting.secretary)
    client.environ_base["HTTP_X_CSRFTOKEN"] = csrf


def test_cards_scan_to_their_delegates_and_read_back_exactly(
    printing_app: Flask,
    client: FlaskClient,
    login: Login,
    app_db: Database,
    meeting: MeetingFixture,
    tmp_path: Path,
) -> None:
    ids = {make_attendee(app_db, meeting, name=name): name for name in NAMES}
    signed_in(client, login, meeting)
    pdf = build(printing_app, client, meeting.id, kind="cards")
    links = decoded_codes(pdf)
    assert len(links) == len(NAMES)
    assert all(re.fullmatch(rf"{BASE}/p/[A-Za-z0-9_-]{{22}}", link) for link in links)
    assert all(len(link) < 50 for link in links)  # a small QR (version 4)
    text = text_of(pdf, tmp_path)
    for name in NAMES:
        assert name in text
    assert "Họp Ban Thường vụ Đảng ủy" in text
    assert "3. Tài liệu họp tự mở, không cần gõ gì." in text
    assert f"{BASE}/ma" in text
    # Each decoded link opens its own delegate's tablet in a fresh browser, no typing.
    seen = set()
    for link in links:
        tablet = printing_app.test_client()
        entered = tablet.get(link.removeprefix(BASE))
        assert entered.headers["Location"] == "/tablet"
        page = tablet.get("/tablet").get_data(as_text=True)
        seen |= {name for name in NAMES if name in page}
    assert seen == set(ids.values())
    # The typed codes printed beside them open the same way.
    codes = re.findall(r"\b([0-9A-Z]{5})\n([0-9A-Z]{5})\b", text)
    assert len(codes) == len(NAMES)
    tablet = printing_app.test_client()
    form = tablet.get("/ma").get_data(as_text=True)
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', form).group(1)
    typed = tablet.post("/ma", data={"code": "-".join(codes[0]), "csrf_token": csrf})
    assert typed.headers["Location"] == "/tablet"
    with app_db.unit_of_work(write=False) as session:
        actions = session.exec(select(AuditEntry.action)).all()
    assert "printout.download" in actions


def test_reprinting_only_with_reissue_and_old_cards_then_stop(
    printing_app: Flask,
    client: FlaskClient,
    login: Login,
    app_db: Database,
    meeting: MeetingFixture,
) -> None:
    make_attendee(app_db, meeting, name="Vũ Thị Lan")
    signed_in(client, login, meeting)
    [first] = decoded_codes(build(printing_app, client, meeting.id, kind="cards"))
    again = ask(client, meeting.id, kind="cards")
    assert again.status_code == 422
    assert again.get_json()["error"]["code"] == "nothing_to_print"
    [second] = decoded_codes(build(printing_app, client, meeting.id, kind="cards", reissue=True))
    assert second != first
    fresh = printing_app.test_client()
    assert fresh.get(first.removeprefix(BASE)).status_code == 404
    assert fresh.get(second.removeprefix(BASE)).headers["Location"] == "/tablet"


def test_agenda_covers_and_poster(
    printing_app: Flask,
    client: FlaskClient,
    login: Login,
    app_db: Database,
    app_storage: Storage,
    meeting: MeetingFixture,
    tmp_path: Path,
) -> None:
    with app_db.unit_of_work() as session:
        row = session.get(Meeting, meeting.id)
        assert row is not None
        row.organiser = "Đảng ủy xã Hòa Tiến"
    make_document(app_db, app_storage, meeting, title="Dự thảo Nghị quyết về quy hoạch")
    signed_in(client, login, meeting)
    agenda = text_of(build(printing_app, client, meeting.id, kind="agenda"), tmp_path)
    assert "CHƯƠNG TRÌNH" in agenda
    assert "ĐẢNG ỦY XÃ HÒA TIẾN" in agenda
    assert "Nội dung 1: báo cáo tình hình" in agenda
    assert "Đồng chí Hùng" in agenda
    covers = build(printing_app, client, meeting.id, kind="covers")
    assert "Dự thảo Nghị quyết về quy hoạch" in text_of(covers, tmp_path)
    [verify] = decoded_codes(covers)
    assert verify.startswith(f"{BASE}/v/")
    assert "Đây là bản hiện hành (bản 1)" in client.get(verify.removeprefix(BASE)).get_data(
        as_text=True
    )
    with app_db.unit_of_work() as session:
        lifecycle.publish(session, actor=meeting.secretary.actor, meeting_id=meeting.id)
    poster = build(printing_app, client, meeting.id, kind="poster")
    [door] = decoded_codes(poster)
    assert door.startswith(f"{BASE}/m/")
    assert "Họp Ban Thường vụ Đảng ủy" in client.get(door.removeprefix(BASE)).get_data(as_text=True)
    assert "Họp Ban Thường vụ Đảng ủy" in text_of(poster, tmp_path)


def test_printing_needs_the_public_address_and_says_so(
    app: Flask, client: FlaskClient, login: Login, meeting: MeetingFixture
) -> None:
    signed_in(client, login, meeting)
    refused = ask(client, meeting.id, kind="poster")
    assert refused.status_code == 409
    assert refused.get_json()["error"]["code"] == "public_url_required"
    page = client.get(f"/meetings/{meeting.id}/printouts").get_data(as_text=True)
    assert 'id="public-url-missing"' in page
    assert "ECABINET_PUBLIC_URL" in page


def test_printouts_are_for_those_who_prepare_that_meeting(
    printing_app: Flask,
    client: FlaskClient,
    login: Login,
    app_db: Database,
    meeting: MeetingFixture,
) -> None:
    signed_in(client, login, meeting)
    build(printing_app, client, meeting.id, kind="poster")
    with app_db.unit_of_work(write=False) as session:
        printout_id = session.exec(select(Printout.id)).one()
    outsider = make_meeting(app_db)
    other = printing_app.test_client()
    csrf = Login(other).as_staff(outsider.secretary)
    for url in (f"/api/v1/printouts/{printout_id}", f"/printouts/{printout_id}.pdf"):
        assert other.get(url).status_code == 404
    denied = other.post(
        f"/api/v1/meetings/{meeting.id}/printouts",
        json={"kind": "cards"},
        headers={"X-CSRFToken": csrf},
    )
    assert denied.status_code == 404


def test_a_job_run_again_changes_nothing_once_ready(
    printing_app: Flask,
    client: FlaskClient,
    login: Login,
    app_db: Database,
    meeting: MeetingFixture,
) -> None:
    signed_in(client, login, meeting)
    build(printing_app, client, meeting.id, kind="agenda")
    with app_db.unit_of_work(write=False) as session:
        printout_id = session.exec(select(Printout.id)).one()
    assert printout_id is not None
    settings = service.PrintSettings.from_config(printing_app.config)
    storage = printing_app.extensions["ecabinet.storage"]
    again = service.build_printout(app_db, storage, printout_id=printout_id, settings=settings)
    assert again is None


def test_a_superseded_run_issues_no_cards_and_names_no_file(
    printing_app: Flask, app_db: Database, meeting: MeetingFixture, tmp_path: Path
) -> None:
    """A run whose lease ran out while a newer run of the same printout started must not
    replace the newer run's cards, nor put its own file in place."""
    make_attendee(app_db, meeting, name="Hồ Xuân Hương")
    with app_db.unit_of_work() as session:
        printout = service.request_printout(
            session,
            actor=meeting.secretary.actor,
            meeting_id=meeting.id,
            kind=PrintKind.CARDS,
            public_url=BASE,
        )
        printout_id = printout.id or 0
        printout.attempt = 2  # a newer run has started
    heading = layouts.MeetingHeading(title="x")
    options = {"attendee_ids": printout_options(app_db, printout_id)}
    with pytest.raises(service.Superseded):
        service._cards(app_db, printout_id, 1, heading, BASE, options, service.PrintSettings())
    with app_db.unit_of_work(write=False) as session:
        assert session.exec(select(AttendeeToken)).all() == []  # no card issued
    partial, final = tmp_path / "p.part", tmp_path / "final.pdf"
    partial.write_bytes(b"%PDF-old")
    finished = service._finish(
        app_db, printout_id, 1, PrintStatus.READY, size=8, file=(partial, final)
    )
    assert finished is False
    assert not final.exists()
    with app_db.unit_of_work(write=False) as session:
        assert session.get(Printout, printout_id).status == "queued"


def printout_options(app_db: Database, printout_id: int) -> list[int]:
    import json

    with app_db.unit_of_work(write=False) as session:
        row = session.get(Printout, printout_id)
        assert row is not None
        ids: list[int] = json.loads(row.options)["attendee_ids"]
        return ids
