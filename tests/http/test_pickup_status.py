"""The secretary's pickup status: per attendee, card printed, tablet in, documents opened;
the same as a page, JSON and an XLSX workbook."""

from __future__ import annotations

import io

from flask import Flask
from flask.testing import FlaskClient

from ecabinet.db import Database
from ecabinet.documents.storage import Storage
from ecabinet.printing import service as printing
from ecabinet.printing.models import PrintKind
from tests.conftest import Login
from tests.factories import (
    MeetingFixture,
    make_attendee,
    make_document,
    make_meeting,
    make_token,
)
from tests.tools import need_module


def print_cards_for(
    app_db: Database, storage: Storage, meeting: MeetingFixture, attendee_ids: list[int]
) -> None:
    with app_db.unit_of_work() as session:
        printout = printing.request_printout(
            session,
            actor=meeting.secretary.actor,
            meeting_id=meeting.id,
            kind=PrintKind.CARDS,
            public_url="http://10.0.0.5:5000",
            attendee_ids=attendee_ids,
        )
        printout_id = printout.id or 0
    printing.build_printout(
        app_db, storage, printout_id=printout_id, settings=printing.PrintSettings()
    )


def test_the_status_shows_cards_scans_and_documents_opened(
    app: Flask,
    client: FlaskClient,
    login: Login,
    app_db: Database,
    app_storage: Storage,
    meeting: MeetingFixture,
) -> None:
    reader = make_attendee(app_db, meeting, name="Trần Thị Mai")
    shown = make_attendee(app_db, meeting, name='=HYPERLINK("http://x")')
    absent = make_attendee(app_db, meeting, name="Lê Văn Tám")
    first = make_document(app_db, app_storage, meeting, title="Báo cáo tài chính")
    make_document(app_db, app_storage, meeting, title="Dự thảo nghị quyết")
    print_cards_for(app_db, app_storage, meeting, [reader, absent])
    # The reader comes in with a card (a reprint on screen is still "their" card) and reads.
    tablet = app.test_client()
    assert tablet.get(f"/p/{make_token(app_db, meeting, reader)}").status_code == 302
    for ranges in ("bytes=0-99", "bytes=100-199", "bytes=200-299"):
        tablet.get(f"/documents/{first.id}/file", headers={"Range": ranges}).close()
    make_token(app_db, meeting, shown)
    login.as_staff(meeting.secretary)
    data = client.get(f"/api/v1/meetings/{meeting.id}/pickup-status").get_json()
    rows = {row["attendee_id"]: row for row in data["rows"]}
    assert (data["total"], data["documents"], data["scanned"]) == (3, 2, 1)
    assert (
        data["printed"] == 1
    )  # the absent one's printed card still works; the reader's was replaced
    assert rows[reader]["card"] == "shown"
    assert rows[reader]["first_scan_at"] is not None
    assert rows[reader]["devices"] == 1
    assert rows[reader]["opened"] == ["Báo cáo tài chính"]  # once, however many ranges
    assert rows[absent]["card"] == "printed"
    assert rows[absent]["first_scan_at"] is None
    assert rows[absent]["opened"] == []
    assert rows[shown]["card"] == "shown"
    page = client.get(f"/meetings/{meeting.id}/pickup").get_data(as_text=True)
    assert "Đã in thẻ" in page
    assert "Chưa quét" in page
    assert "1/2" in page
    openpyxl = need_module("openpyxl", "reads the workbook back")
    workbook = client.get(f"/meetings/{meeting.id}/pickup.xlsx")
    sheet = openpyxl.load_workbook(io.BytesIO(workbook.data)).active
    values = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert values[1][:5] == ["STT", "Họ và tên", "Chức vụ", "Đơn vị", "Thẻ"]
    by_name = {row[1]: row for row in values[2:]}
    assert by_name["Trần Thị Mai"][8] == 1
    assert by_name["Trần Thị Mai"][9] == "Báo cáo tài chính"
    assert by_name["Lê Văn Tám"][4] == "Đã in thẻ"
    assert '\'=HYPERLINK("http://x")' in by_name  # a name is never run as a formula


def test_another_meetings_secretary_sees_no_status(
    app: Flask, client: FlaskClient, login: Login, app_db: Database, meeting: MeetingFixture
) -> None:
    outsider = make_meeting(app_db)
    login.as_staff(outsider.secretary)
    for url in (
        f"/meetings/{meeting.id}/pickup",
        f"/meetings/{meeting.id}/pickup.xlsx",
        f"/api/v1/meetings/{meeting.id}/pickup-status",
    ):
        assert client.get(url).status_code == 404
