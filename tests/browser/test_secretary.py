"""A secretary prepares a meeting in real Chromium: details in Vietnamese dates, three PDFs at
once with a progress bar each, an attendee list with one bad row fixed after the preview,
publishing; then a delegate's tablet shows it."""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook  # type: ignore[import-untyped]

from ecabinet.actor import Role
from ecabinet.db import Database
from tests.browser.test_chair_and_tablet import sign_in, watch
from tests.factories import make_user, sample_pdf
from tests.tools import ServerProcess

pytestmark = pytest.mark.browser


def workbook(path: Path, phone_of_binh: str) -> Path:
    book = Workbook()
    sheet = book.active
    sheet.append(["Họ và tên", "Chức vụ", "Đơn vị", "Số điện thoại", "Vai trò"])
    sheet.append(["Nguyễn Văn An", "Bí thư", "Đảng ủy xã", "0912 345 001", "Chủ tọa"])
    sheet.append(["Trần Thị Bình", "Phó Bí thư", "Đảng ủy xã", phone_of_binh, "Đại biểu"])
    sheet.append(["Lê Văn Cường", "Chánh Văn phòng", "Văn phòng", "0912 345 003", "Đại biểu"])
    out = io.BytesIO()
    book.save(out)
    path.write_bytes(out.getvalue())
    return path


def test_a_secretary_prepares_a_meeting_and_the_tablet_shows_it(
    launch: Any, database: Database, live_server: ServerProcess, tmp_path: Path
) -> None:
    secretary = make_user(database, Role.SECRETARY)
    problems: list[str] = []
    page = launch("secretary").new_page()
    watch(page, live_server, [], problems)
    page.on("dialog", lambda dialog: dialog.accept())
    sign_in(page, live_server, secretary.username)

    page.click("text=+ Tạo cuộc họp")
    page.fill("#f-title", "Họp Ban Thường vụ tháng 12")
    page.fill("#f-kind", "Ban Thường vụ")
    page.fill("#f-starts_at", "20/12/2026 08:00")
    page.click("button:has-text('Tạo cuộc họp')")
    page.wait_for_url(re.compile(r"/meetings/\d+$"))
    meeting_id = int(page.url.rsplit("/", 1)[1])
    for title in ("Khai mạc", "Báo cáo chính trị", "Bế mạc"):
        page.fill("#f-item-title", title)
        page.click("#agenda form.grid-form button[type=submit]")
        page.wait_for_selector(f"#agenda li:has-text('{title}')")

    pdfs = []
    for name in ("bao-cao", "to-trinh", "nghi-quyet"):
        path = tmp_path / f"{name}.pdf"
        path.write_bytes(sample_pdf(name))
        pdfs.append(str(path))
    page.set_input_files("#f-file", pdfs)
    page.click("form[data-bulk-upload] button[type=submit]")
    page.wait_for_selector("[data-upload-progress] li:nth-child(3)")
    page.wait_for_selector("#documents tbody tr:nth-child(3)", timeout=20_000)

    page.set_input_files("#f-import-file", str(workbook(tmp_path / "ds.xlsx", "0912 34")))
    page.click("button:has-text('Xem trước')")
    page.wait_for_selector("text=Số điện thoại “0912 34” không hợp lệ.")
    assert page.locator("button:has-text('Nhập ')").count() == 0  # nothing to confirm yet
    page.go_back()
    page.set_input_files("#f-import-file", str(workbook(tmp_path / "ds2.xlsx", "0912 345 002")))
    page.click("button:has-text('Xem trước')")
    page.click("button:has-text('Nhập 3 đại biểu')")
    page.wait_for_selector("text=Đã nhập danh sách: thêm 3, cập nhật 0 đại biểu.")
    assert page.locator("#attendees td:has-text('0912 345 002')").count() == 1

    page.click("form[action$='/publish'] button")
    page.wait_for_selector("text=Đã công bố cuộc họp.")

    tablet_link = page.request.post(
        f"{live_server.url}/api/v1/meetings/{meeting_id}/links",
        headers={"X-CSRFToken": page.get_attribute("meta[name=csrf-token]", "content") or ""},
    ).json()["links"][0]["url"]
    tablet = launch("tablet").new_page()
    watch(tablet, live_server, [], problems)
    tablet.goto(tablet_link.replace("http://192.168.1.10:5000", live_server.url))
    tablet.wait_for_selector("text=Họp Ban Thường vụ tháng 12")
    tablet.wait_for_selector("text=Báo cáo chính trị")
    assert problems == []


def test_the_workspace_fits_an_800_pixel_screen(
    launch: Any, database: Database, live_server: ServerProcess
) -> None:
    """Names stay on one line and nothing scrolls sideways on an old office PC's screen."""
    from tests.factories import make_attendee, make_meeting

    meeting = make_meeting(database)
    for name in ("Nguyễn Thị Thanh Hương", "Tôn Nữ Hoàng Phương Thảo", "Lê Văn Bình"):
        make_attendee(database, meeting, name=name, phone="")
    page = launch("office-pc", viewport={"width": 800, "height": 600}).new_page()
    sign_in(page, live_server, meeting.secretary.username)
    page.goto(f"{live_server.url}/meetings/{meeting.id}")
    heights = page.eval_on_selector_all(
        ".person-name", "spans => spans.map(s => s.getBoundingClientRect().height)"
    )
    line = page.eval_on_selector(".person-name", "s => parseFloat(getComputedStyle(s).lineHeight)")
    assert len(heights) == 3
    assert max(heights) < 1.5 * line, heights  # one line each
    assert page.evaluate("document.documentElement.scrollWidth") <= 800


def agenda_outline(page: Any) -> list[str]:
    rows: list[str] = page.eval_on_selector_all(
        "#agenda li[data-item-id]",
        "rows => rows.map(r => r.querySelector('.item-number').textContent + ' '"
        " + r.querySelector('strong').textContent)",
    )
    return rows


def test_the_agenda_reorders_by_dragging_and_by_keyboard(
    launch: Any, database: Database, live_server: ServerProcess
) -> None:
    from tests.factories import make_meeting

    meeting = make_meeting(database, items=4)
    problems: list[str] = []
    page = launch("secretary").new_page()
    watch(page, live_server, [], problems)
    sign_in(page, live_server, meeting.secretary.username)
    page.goto(f"{live_server.url}/meetings/{meeting.id}")
    titles = [f"Nội dung {n}: báo cáo tình hình" for n in (1, 2, 3, 4)]
    assert agenda_outline(page) == [
        f"{n}. {t}" for n, t in zip(("I", "II", "III", "IV"), titles, strict=True)
    ]

    # Drag the fourth item onto the top edge of the first: it goes first.
    page.drag_and_drop(
        f"#item-{meeting.item_ids[3]} .drag-handle",
        f"#item-{meeting.item_ids[0]}",
        target_position={"x": 40, "y": 3},
    )
    page.wait_for_selector(f"#agenda li#item-{meeting.item_ids[3]}:first-child")
    assert [row.split(" ", 1)[1] for row in agenda_outline(page)] == [
        titles[3], titles[0], titles[1], titles[2],
    ]  # fmt: skip

    # The keyboard way: Tab to the "→" of the third item and press Enter: it becomes a
    # sub-item of the item above, numbered 1 under it; the page comes back to that item.
    indent = page.locator(f"#item-{meeting.item_ids[1]} button[value=indent]")
    indent.focus()
    page.keyboard.press("Enter")
    page.wait_for_selector(f"#item-{meeting.item_ids[1]}.sub-item")
    assert agenda_outline(page) == [
        f"I. {titles[3]}",
        f"II. {titles[0]}",
        f"1. {titles[1]}",
        f"III. {titles[2]}",
    ]
    assert page.url.endswith(f"#item-{meeting.item_ids[1]}")

    # A section with a sub-item cannot itself become a sub-item: its "→" is disabled, and
    # dragging it between another section's sub-items lands it beside that section instead.
    assert page.locator(f"#item-{meeting.item_ids[0]} button[value=indent]").is_disabled()
    page.drag_and_drop(
        f"#item-{meeting.item_ids[2]} .drag-handle",
        f"#item-{meeting.item_ids[1]}",
        target_position={"x": 40, "y": 3},
    )
    page.wait_for_selector(f"#agenda li#item-{meeting.item_ids[2]}.sub-item")
    assert agenda_outline(page) == [
        f"I. {titles[3]}",
        f"II. {titles[0]}",
        f"1. {titles[2]}",
        f"2. {titles[1]}",
    ]
    assert problems == []
