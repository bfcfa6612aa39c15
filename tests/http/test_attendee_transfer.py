"""Attendee import and export as the secretary and API clients use them: preview, confirm,
all or nothing, one request for a thousand, and an XLSX download."""

from __future__ import annotations

import io
import re

from flask.testing import FlaskClient
from openpyxl import load_workbook  # type: ignore[import-untyped]

from ecabinet.db import Database
from tests.conftest import Login
from tests.factories import MeetingFixture, make_attendee, make_meeting
from tests.http.test_api import bearer
from tests.unit.test_attendee_import import people, xlsx

ROWS = [
    ["Nguyễn Văn An", "Bí thư", "Đảng ủy", "0912345001", "Đại biểu"],
    ["Trần Thị Bình", "Phó Bí thư", "Đảng ủy", "0912 34", "Đại biểu"],
]


def test_the_secretary_previews_fixes_and_imports_a_list(
    client: FlaskClient, login: Login, meeting: MeetingFixture, app_db: Database
) -> None:
    csrf = login.as_staff(meeting.secretary)
    url = f"/meetings/{meeting.id}/attendees/import"
    bad = client.post(url, data={"csrf_token": csrf, "file": (io.BytesIO(xlsx(ROWS)), "ds.xlsx")})
    page = bad.get_data(as_text=True)
    assert bad.status_code == 200
    assert "Số điện thoại “0912 34” không hợp lệ." in page
    assert "/attendees/import/" not in page  # no confirm button while a row is wrong
    assert people(app_db, meeting) == {}
    fixed = [ROWS[0], [*ROWS[1][:3], "0912 345 002", "Khách mời"]]
    good = client.post(url, data={"csrf_token": csrf, "file": (io.BytesIO(xlsx(fixed)), "ds.xlsx")})
    page = good.get_data(as_text=True)
    assert "2</strong> sẽ thêm" in page
    confirm = re.search(r'action="(/meetings/\d+/attendees/import/[^"]+)"', page)
    assert confirm is not None
    done = client.post(confirm.group(1), data={"csrf_token": csrf})
    assert done.status_code == 302
    assert set(people(app_db, meeting)) == {"Nguyễn Văn An", "Trần Thị Bình"}
    assert "thêm 2, cập nhật 0" in client.get(f"/meetings/{meeting.id}").get_data(as_text=True)
    replay = client.post(confirm.group(1), data={"csrf_token": csrf})
    assert replay.status_code == 409
    assert "đã hết hạn hoặc đã được nhập" in replay.get_data(as_text=True)
    wrong = client.post(url, data={"csrf_token": csrf, "file": (io.BytesIO(b"x"), "ds.docx")})
    assert wrong.status_code == 422
    assert "Chỉ nhận tệp Excel (.xlsx) hoặc CSV (.csv)." in wrong.get_data(as_text=True)


def test_the_api_imports_a_thousand_in_one_request_all_or_nothing(
    client: FlaskClient, login: Login, meeting: MeetingFixture, app_db: Database
) -> None:
    headers = bearer(client, meeting.secretary.username)
    url = f"/api/v1/meetings/{meeting.id}/attendees/import"
    rows = [[f"Đại biểu số {n}", "", f"Đơn vị {n % 7}", f"09{n:08d}", ""] for n in range(1000)]
    dry = client.post(
        f"{url}?dry_run=1", data={"file": (io.BytesIO(xlsx(rows)), "ds.xlsx")}, headers=headers
    )
    assert dry.status_code == 200, dry.get_data(as_text=True)
    assert (dry.json["add"], dry.json["error"]) == (1000, 0)
    assert people(app_db, meeting) == {}
    broken = [*rows, ["", "", "", "", ""], ["Người lỗi", "", "", "123", ""]]
    refused = client.post(
        url, data={"file": (io.BytesIO(xlsx(broken)), "ds.xlsx")}, headers=headers
    )
    assert refused.status_code == 422
    assert refused.json["error"]["code"] == "import_has_errors"
    assert people(app_db, meeting) == {}
    done = client.post(url, data={"file": (io.BytesIO(xlsx(rows)), "ds.xlsx")}, headers=headers)
    assert done.status_code == 201
    assert done.json["add"] == 1000
    assert len(people(app_db, meeting)) == 1000
    listed = client.get(
        f"/api/v1/meetings/{meeting.id}/attendees?per_page=400&page=3", headers=headers
    )
    assert listed.headers["X-Total-Count"] == "1000"
    assert [a["full_name"] for a in listed.json or []] == [
        f"Đại biểu số {n}" for n in range(800, 1000)
    ]
    login.as_staff(meeting.secretary)
    page = client.get(f"/meetings/{meeting.id}?attendees_page=5").get_data(as_text=True)
    assert "Trang 5/5" in page  # 200 a page on the workspace
    assert "Đại biểu số 999" in page
    assert "Đại biểu số 799" not in page


def test_only_the_meetings_secretaries_import_and_its_staff_export(
    client: FlaskClient, meeting: MeetingFixture, app_db: Database
) -> None:
    make_attendee(app_db, meeting, name="Nguyễn Văn An", phone="0912345001")
    other = make_meeting(app_db)
    file = {"file": (io.BytesIO(xlsx(ROWS[:1])), "ds.xlsx")}
    stranger = bearer(client, other.secretary.username)
    url = f"/api/v1/meetings/{meeting.id}/attendees/import"
    assert client.post(url, data=file, headers=stranger).status_code == 404
    chair = bearer(client, meeting.chair.username)
    file = {"file": (io.BytesIO(xlsx(ROWS[:1])), "ds.xlsx")}
    assert client.post(url, data=file, headers=chair).status_code == 403
    export = client.get(f"/api/v1/meetings/{meeting.id}/attendees.xlsx", headers=chair)
    assert export.status_code == 200
    assert export.headers["Cache-Control"] == "no-store"
    sheet = load_workbook(io.BytesIO(export.data)).active
    assert [c.value for c in sheet[3]][:2] == [1, "Nguyễn Văn An"]
    assert (
        client.get(f"/api/v1/meetings/{meeting.id}/attendees.xlsx", headers=stranger).status_code
        == 404
    )
