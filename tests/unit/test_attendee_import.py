"""Attendee lists from spreadsheets: every row previewed as add, update or error before
anything is written; all or nothing; the encodings, headings and cells offices really send."""

from __future__ import annotations

import io
import unicodedata
from typing import Any

import pytest
from openpyxl import Workbook, load_workbook  # type: ignore[import-untyped]
from sqlmodel import select

from ecabinet.attendees import importing
from ecabinet.attendees.export import attendees_xlsx
from ecabinet.attendees.models import Attendee
from ecabinet.attendees.service import list_attendees_for
from ecabinet.db import Database
from ecabinet.errors import AppError, Conflict, Invalid
from tests.factories import MeetingFixture, make_attendee

HEADING = ["Họ và tên", "Chức vụ", "Đơn vị", "Số điện thoại", "Vai trò"]


def xlsx(rows: list[list[Any]], heading: list[str] = HEADING) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(heading)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def windows_1258(text: str) -> bytes:
    """As old Windows software writes Vietnamese: base letters (ư, â...) with combining tones."""
    out = bytearray()
    for ch in text:
        try:
            out += ch.encode("cp1258")
        except UnicodeEncodeError:
            parts = unicodedata.normalize("NFD", ch)
            tone = next(m for m in parts if m in "\u0300\u0301\u0303\u0309\u0323")
            base = unicodedata.normalize("NFC", parts.replace(tone, ""))
            out += (base + tone).encode("cp1258")
    return bytes(out)


def preview(
    database: Database, meeting: MeetingFixture, name: str, data: bytes, limit: int = 60_000
) -> importing.ImportPlan:
    with database.unit_of_work(write=False) as session:
        return importing.preview_import(
            session,
            actor=meeting.secretary.actor,
            meeting_id=meeting.id,
            checked=importing.read_and_check(name, data, max_rows=limit),
            max_attendees=limit,
        )


def apply(
    database: Database, meeting: MeetingFixture, name: str, data: bytes
) -> importing.ImportPlan:
    with database.unit_of_work() as session:
        return importing.apply_import(
            session,
            actor=meeting.secretary.actor,
            meeting_id=meeting.id,
            checked=importing.read_and_check(name, data, max_rows=60_000),
            max_attendees=60_000,
        )


def people(database: Database, meeting: MeetingFixture) -> dict[str, Attendee]:
    with database.unit_of_work(write=False) as session:
        found = session.exec(select(Attendee).where(Attendee.meeting_id == meeting.id)).all()
        return {a.full_name: a for a in found}


def test_a_bad_row_is_shown_with_its_reason_and_nothing_is_written_until_it_is_fixed(
    database: Database, meeting: MeetingFixture
) -> None:
    make_attendee(database, meeting, name="Nguyễn Văn An", phone="0912345001")
    rows: list[list[Any]] = [
        ["Nguyễn Văn An", "Bí thư", "Đảng ủy xã", "0912 345 001", "Chủ tọa"],
        ["Trần Thị Bình", "Phó Bí thư", "Đảng ủy xã", "01683456789", "Đại biểu"],
        [None, None, None, None, None],
        ["Lê Văn Cường", "Chánh Văn phòng", "Văn phòng", "12345", "Khách mời"],
        ["Phạm Thu Dung", "", "Hội Phụ nữ", 912345004, "thư ký"],
    ]
    plan = preview(database, meeting, "danh-sach.xlsx", xlsx(rows))
    assert [(r.line, r.action) for r in plan.rows] == [
        (2, "update"),
        (3, "add"),
        (5, "error"),
        (6, "add"),
    ]
    assert plan.rows[1].phone == "+84383456789"  # the 2018 renumbering: 0168 → 038
    assert plan.rows[2].error == "Số điện thoại “12345” không hợp lệ."
    assert plan.rows[3].phone == "+84912345004"  # typed as a number, leading zero lost
    assert plan.rows[3].role == "secretary"
    with pytest.raises(Invalid) as refused:
        apply(database, meeting, "danh-sach.xlsx", xlsx(rows))
    assert refused.value.code == "import_has_errors"
    assert "dòng 5" in refused.value.message
    assert set(people(database, meeting)) == {"Nguyễn Văn An"}
    rows[3][3] = "0912 345 003"
    done = apply(database, meeting, "danh-sach.xlsx", xlsx(rows))
    assert done.summary() == {"add": 3, "update": 1, "error": 0, "existing": 1}
    listed = people(database, meeting)
    assert listed["Nguyễn Văn An"].role == "chair"
    assert listed["Nguyễn Văn An"].position == "Bí thư"
    again = preview(database, meeting, "danh-sach.xlsx", xlsx(rows))
    assert {r.action for r in again.rows} == {"update"}  # importing twice adds nobody twice


def test_csv_in_windows_1258_or_utf8_with_bom_and_semicolons(
    database: Database, meeting: MeetingFixture
) -> None:
    text = "Họ và tên;Đơn vị;Điện thoại\nNguyễn Thị Hường;Sở Nội vụ;0987654321\n"
    for data in (text.encode("utf-8-sig"), windows_1258(text)):
        plan = preview(database, meeting, "ds.csv", data)
        assert [(r.full_name, r.unit, r.phone) for r in plan.rows] == [
            ("Nguyễn Thị Hường", "Sở Nội vụ", "+84987654321")
        ]


@pytest.mark.parametrize(
    ("name", "data", "code"),
    [
        ("ds.xlsx", b"", "import_empty"),
        ("ds.xlsx", b"PK\x03\x04 this is no workbook", "import_unreadable"),
        ("ds.pdf", b"%PDF-1.4", "import_unsupported_type"),
        ("ds.xlsx", xlsx([["An"]], heading=["Tên đơn vị", "Ghi chú"]), "import_bad_heading"),
    ],
)
def test_files_that_cannot_be_read_say_why(
    database: Database, meeting: MeetingFixture, name: str, data: bytes, code: str
) -> None:
    with pytest.raises(AppError) as refused:
        preview(database, meeting, name, data)
    assert refused.value.code == code
    assert refused.value.field == "file"


def test_duplicates_formulas_and_unknown_roles_are_row_errors(
    database: Database, meeting: MeetingFixture
) -> None:
    rows: list[list[Any]] = [
        ["Đỗ Văn Em", "", "", "0912345011", ""],
        ["Đỗ Văn Em (trùng)", "", "", "+84 912 345 011", ""],
        ["Hoàng Văn Phú", "", "Xã A", "", ""],
        ["Hoàng Văn Phú", "", "Xã A", "", ""],
        ['=HYPERLINK("http://x")', "", "", "", ""],
        ["Vũ Thị Giang", "", "", "", "Vua"],
    ]
    plan = preview(database, meeting, "ds.xlsx", xlsx(rows))
    errors = {r.line: r.error for r in plan.errors}
    assert errors == {
        3: "Trùng số điện thoại với dòng 2.",
        5: "Trùng họ tên và đơn vị với dòng 4.",
        6: "Ô chứa công thức (bắt đầu bằng “=”): hãy dán giá trị thay vì công thức.",
        7: "Vai trò “Vua” không rõ (chọn một trong: Đại biểu, Khách mời, Chủ tọa, Thư ký).",
    }


def test_the_meeting_size_limit_holds_for_imports(
    database: Database, meeting: MeetingFixture
) -> None:
    make_attendee(database, meeting, name="Người đã có")
    rows = [[f"Đại biểu {n}", "", "", "", ""] for n in range(5)]
    with pytest.raises(Conflict) as full:
        preview(database, meeting, "ds.xlsx", xlsx(rows), limit=5)
    assert full.value.code == "attendees_full"
    with pytest.raises(AppError) as too_long:
        preview(database, meeting, "ds.xlsx", xlsx(rows + rows), limit=6)
    assert too_long.value.code == "import_too_many_rows"


def test_the_export_reads_back_with_phones_as_people_write_them(
    database: Database, meeting: MeetingFixture
) -> None:
    make_attendee(database, meeting, name="Nguyễn Văn An", phone="0912345001")
    make_attendee(database, meeting, name="=cmd|' /C calc'!A0")  # a hostile name stays text
    with database.unit_of_work(write=False) as session:
        views = list_attendees_for(session, actor=meeting.secretary.actor, meeting_id=meeting.id)
        chair_views = list_attendees_for(session, actor=meeting.chair.actor, meeting_id=meeting.id)
    sheet = load_workbook(io.BytesIO(attendees_xlsx(views, title="Họp"))).active
    rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert rows[1] == ["STT", "Họ và tên", "Chức vụ", "Đơn vị", "Số điện thoại", "Vai trò"]
    assert rows[2][1] == "Nguyễn Văn An"
    assert rows[2][4] == "0912 345 001"
    assert rows[3][1] == "'=cmd|' /C calc'!A0"
    chair_sheet = load_workbook(io.BytesIO(attendees_xlsx(chair_views, title="Họp"))).active
    assert "Số điện thoại" not in [c.value for c in chair_sheet[2]]  # the chair has no contacts
