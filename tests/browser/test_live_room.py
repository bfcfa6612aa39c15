"""The live room in real Chromium: the chair's console, three delegates' tablets and the room
screen in one run, as a meeting is really run (issue 11)."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from typing import Any

import pytest

from ecabinet.agenda import service as agenda
from ecabinet.agenda.schemas import AgendaItemUpdate
from ecabinet.db import Database
from ecabinet.documents.storage import Storage
from tests.browser.test_chair_and_tablet import sign_in, watch
from tests.factories import MeetingFixture, make_attendee, make_document, make_meeting, make_token
from tests.tools import ServerProcess

pytestmark = pytest.mark.browser

CURRENT = "() => document.querySelector('#current-title').textContent"


def title_is(page: Any, text: str, timeout_ms: float) -> None:
    page.wait_for_function(
        "t => document.querySelector('#current-title').textContent === t",
        arg=text,
        timeout=timeout_ms,
    )


def open_tablet(
    launch: Callable[..., Any],
    server: ServerProcess,
    database: Database,
    meeting: MeetingFixture,
    name: str,
    seen: list[str],
    problems: list[str],
    query: str = "",
) -> tuple[Any, Any]:
    context = launch(f"tablet-{name}", viewport={"width": 1024, "height": 768})
    page = context.new_page()
    watch(page, server, seen, problems)
    token = make_token(database, meeting, make_attendee(database, meeting, name=name))
    page.goto(f"{server.url}/p/{token}")
    if query:
        page.goto(f"{server.url}/tablet{query}")
    page.wait_for_selector("#conn[data-state=online]", timeout=10_000)
    return context, page


def test_a_meeting_run_from_the_console_with_three_tablets_and_the_room_screen(
    database: Database, live_server: ServerProcess, launch: Callable[..., Any]
) -> None:
    meeting = make_meeting(database, items=4, title="Kỳ họp thứ 5 HĐND tỉnh")
    with database.unit_of_work() as session:
        agenda.update_item(
            session,
            actor=meeting.secretary.actor,
            item_id=meeting.item_ids[0],
            data=AgendaItemUpdate(duration_minutes=1),
        )
    storage = Storage(live_server.instance / "storage")
    report = make_document(database, storage, meeting, title="Báo cáo chính trị")
    seen: list[str] = []
    problems: list[str] = []

    chair = launch("chair", viewport={"width": 1280, "height": 900}).new_page()
    watch(chair, live_server, seen, problems)
    sign_in(chair, live_server, meeting.chair.username)
    chair.goto(f"{live_server.url}/meetings/{meeting.id}/chair")
    chair.wait_for_selector("#conn[data-state=online]", timeout=10_000)

    # The room screen needs no login: it shows a code, the chair types it on the console.
    screen = launch("screen", viewport={"width": 1920, "height": 1080}).new_page()
    watch(screen, live_server, seen, problems)
    screen.goto(f"{live_server.url}/screen")
    code = (screen.text_content("#pair-code") or "").replace(" ", "")
    assert re.fullmatch(r"\d{6}", code)
    chair.fill("#pair-code", code)
    chair.fill("#pair-name", "Màn hình hội trường")
    chair.click("#pair-form button[type=submit]")
    chair.wait_for_selector("[data-revoke-screen]", timeout=5_000)
    screen.wait_for_selector("#conn[data-state=online]", timeout=10_000)
    assert screen.url == f"{live_server.url}/screen"
    assert screen.text_content("#current-title") == "Phiên họp chưa bắt đầu"

    names = ["Nguyễn Văn An", "Trần Thị Bình", "Lê Văn Cường"]
    tablets = [
        open_tablet(launch, live_server, database, meeting, n, seen, problems) for n in names
    ]
    pages = [page for _context, page in tablets]
    # The chair sees who is connected, by name.
    chair.wait_for_function(
        "() => document.querySelector('#presence-count').textContent === '3'", timeout=5_000
    )
    chair.click("#presence")
    assert sorted(chair.locator("#presence-list li").all_text_contents()) == sorted(names)

    # Start, then "next": every tablet and the screen follow within a second of the click.
    chair.click("#btn-start")
    for page in [*pages, screen]:
        title_is(page, "Nội dung 1: báo cáo tình hình", 2_000)
    chair.wait_for_selector("#btn-next:not([disabled])")
    started = time.monotonic()
    chair.keyboard.press("ArrowRight")  # the shortcut, as a chair with a clicker would
    for page in [*pages, screen]:
        title_is(page, "Nội dung 2: báo cáo tình hình", 1_000)
    assert time.monotonic() - started < 1.5
    # The first item's time was kept; the second's clock runs on the screen.
    screen.wait_for_function(
        "() => document.querySelector('#timer').getAttribute('data-running') === 'true'"
    )

    # Pause and resume: every page says so; the timer stops.
    chair.keyboard.press("p")
    for page in [*pages, screen]:
        page.wait_for_selector("#paused-banner:not([hidden])", timeout=2_000)
    frozen = screen.get_attribute("#timer", "data-seconds")
    screen.wait_for_timeout(1_200)
    assert screen.get_attribute("#timer", "data-seconds") == frozen
    chair.click("#btn-resume")
    for page in [*pages, screen]:
        page.wait_for_selector("#paused-banner", state="hidden", timeout=2_000)

    # The announcement reaches every tablet and the screen, and comes down again.
    chair.fill("#announce-text", "Nghỉ giải lao 10 phút sau nội dung này")
    chair.click("#btn-announce")
    for page in [*pages, screen]:
        page.wait_for_function(
            "t => document.querySelector('#announcement').textContent === t",
            arg="Nghỉ giải lao 10 phút sau nội dung này",
            timeout=2_000,
        )
    chair.click("#btn-unannounce")
    for page in [*pages, screen]:
        page.wait_for_selector("#announcement", state="hidden", timeout=2_000)

    # A live edit of the agenda from the console: renamed on every tablet at once.
    chair.click(f"[data-edit-item='{meeting.item_ids[3]}']")
    chair.fill(".inline-edit input:not([type=number])", "Nội dung 4: đã đổi tên tại phiên họp")
    chair.click(".inline-edit button[type=submit]")
    for page in pages:
        page.wait_for_function(
            "id => { const li = document.querySelector(`#agenda li[data-item-id='${id}']`);"
            " return li && li.textContent.includes('đã đổi tên'); }",
            arg=meeting.item_ids[3],
            timeout=2_000,
        )
        # ...and marked as changed since this tablet saw it.
        assert "Đã thay đổi" in (
            page.text_content(f"#agenda li[data-item-id='{meeting.item_ids[3]}']") or ""
        )

    # Every tablet has read the document ahead (it is not Mật), and says so.
    for page in pages:
        page.wait_for_selector("[data-cache=ready]", timeout=10_000)
        assert "đã tải 1/1" in (page.text_content("#precache-summary") or "")

    # Presenter mode: tablets that follow open the document at the page; one that does not,
    # stays where it is.
    follower, _second, reader = pages
    reader.uncheck("#follow")
    chair.click(f"[data-present='{report.id}']")
    follower.wait_for_selector("#viewer[data-state=ready]", timeout=15_000)
    assert follower.get_attribute("#viewer", "data-document-id") == str(report.id)
    assert follower.get_attribute("#viewer", "data-page") == "1"
    assert follower.get_attribute("#viewer", "data-mode") == "pdf"
    assert reader.is_hidden("#viewer")

    # The reader's tablet loses the network for 10 s while the chair moves on: the document
    # it read ahead still opens, and it catches up alone within 2 s of coming back.
    # The session cookie is re-signed by every response: the copy read ahead must still be
    # usable once it has changed (no Vary: Cookie on those addresses).
    reader.wait_for_timeout(1_100)
    reader.evaluate(f"fetch('/api/v1/meetings/{meeting.id}/state').then(r => r.status)")
    offline_context = tablets[2][0]
    offline_context.set_offline(True)
    reader.wait_for_selector("#conn[data-state=offline]", timeout=10_000)
    reader.click("button.doc-open")
    reader.wait_for_selector("#viewer[data-state=ready]", timeout=10_000)
    assert reader.get_attribute("#viewer", "data-mode") == "pdf"
    reader.click("#viewer-close")
    reader.wait_for_timeout(8_000)
    chair.click("#btn-next")
    title_is(follower, "Nội dung 3: báo cáo tình hình", 2_000)
    back = time.monotonic()
    offline_context.set_offline(False)
    title_is(reader, "Nội dung 3: báo cáo tình hình", 2_000)
    assert time.monotonic() - back < 2.0
    reader.wait_for_selector("#conn[data-state=online]", timeout=2_000)

    # The room screen: large enough for 10 m, with the meeting's QR code.
    size = screen.eval_on_selector(
        "#current-title", "e => parseFloat(getComputedStyle(e).fontSize)"
    )
    assert size >= 100
    assert screen.eval_on_selector(".screen-qr img", "i => i.naturalWidth") > 0

    chair.once("dialog", lambda dialog: dialog.accept())
    chair.click("#btn-end")
    for page in [*pages, screen]:
        title_is(page, "Phiên họp đã kết thúc", 2_000)

    # Revoked from the console: the screen drops the room and shows a new code.
    chair.once("dialog", lambda dialog: dialog.accept())
    chair.click("[data-revoke-screen]")
    screen.wait_for_selector("#pair-code", timeout=10_000)
    assert screen.locator("#current-title").count() == 0

    # The browser logs the connections refused while a tablet was offline; nothing else.
    assert [p for p in problems if "ERR_INTERNET_DISCONNECTED" not in p] == []


def test_large_type_is_one_tap_away_and_remembered_on_the_device(
    database: Database, live_server: ServerProcess, launch: Callable[..., Any]
) -> None:
    meeting = make_meeting(database, items=2)
    seen: list[str] = []
    problems: list[str] = []
    _context, page = open_tablet(launch, live_server, database, meeting, "An", seen, problems)
    body_px = "() => parseFloat(getComputedStyle(document.body).fontSize)"
    assert page.evaluate(body_px) < 20
    page.click("#btn-large")
    assert page.evaluate(body_px) >= 20
    smallest = page.evaluate(
        """() => Math.min(...[...document.querySelectorAll('button, label.follow, #agenda li')]
            .filter(e => e.offsetParent !== null)
            .map(e => e.getBoundingClientRect())
            .map(r => Math.min(r.height, r.width)))"""
    )
    assert smallest >= 48
    page.reload()
    page.wait_for_selector("#conn[data-state=online]", timeout=10_000)
    assert page.evaluate(body_px) >= 20  # remembered on this device
    assert page.get_attribute("#btn-large", "aria-pressed") == "true"
    assert problems == []


def test_the_page_image_fallback_shows_a_document_where_pdfjs_cannot_run(
    database: Database, live_server: ServerProcess, launch: Callable[..., Any]
) -> None:
    meeting = make_meeting(database, items=1)
    storage = Storage(live_server.instance / "storage")
    make_document(database, storage, meeting, title="Tờ trình")
    seen: list[str] = []
    problems: list[str] = []
    context, page = open_tablet(
        launch, live_server, database, meeting, "An", seen, problems, query="?viewer=images"
    )
    mark = len(seen)
    page.reload()  # the card's first page (without the flag) started pdf.js: start afresh
    page.wait_for_selector("#conn[data-state=online]", timeout=10_000)
    # Read ahead as images (the PDF is of no use here), then read with the Wi-Fi down.
    page.wait_for_selector("[data-cache=ready]", timeout=30_000)
    assert not any("/v/" in url for url in seen[mark:])
    context.set_offline(True)
    page.click("button.doc-open")
    page.wait_for_selector("#viewer[data-state=ready]", timeout=10_000)
    assert page.get_attribute("#viewer", "data-mode") == "images"
    width = page.eval_on_selector("#viewer-pages img", "i => i.naturalWidth")
    assert width > 500
    assert any("/pages/" in url for url in seen[mark:])  # the server's images, not pdf.js
    assert not any("pdf.worker" in url for url in seen[mark:])
    assert [p for p in problems if "ERR_INTERNET_DISCONNECTED" not in p] == []


def test_notes_are_kept_on_the_server_for_their_author_only(
    database: Database, live_server: ServerProcess, launch: Callable[..., Any]
) -> None:
    meeting = make_meeting(database, items=1)
    storage = Storage(live_server.instance / "storage")
    make_document(database, storage, meeting, title="Tờ trình")
    seen: list[str] = []
    problems: list[str] = []
    _context, page = open_tablet(launch, live_server, database, meeting, "An", seen, problems)
    page.click("button.doc-open")
    page.wait_for_selector("#viewer[data-state=ready]", timeout=15_000)
    page.click("#viewer-notes")
    page.wait_for_function("() => !document.querySelector('#notes-text').readOnly")
    page.fill("#notes-text", "Hỏi lại số liệu trang 3")
    page.wait_for_function(
        "() => document.querySelector('#notes-status').textContent === 'Đã lưu'", timeout=5_000
    )
    page.reload()  # a new page: the note comes back from the server
    page.wait_for_selector("#conn[data-state=online]", timeout=10_000)
    page.click("button.doc-open")
    page.click("#viewer-notes")
    page.wait_for_function(
        "t => document.querySelector('#notes-text').value === t",
        arg="Hỏi lại số liệu trang 3",
        timeout=5_000,
    )
    # Another delegate of the same meeting sees their own, empty note.
    _other, other = open_tablet(launch, live_server, database, meeting, "Bình", seen, problems)
    other.click("button.doc-open")
    other.click("#viewer-notes")
    other.wait_for_function("() => !document.querySelector('#notes-text').readOnly")
    assert other.input_value("#notes-text") == ""
    assert problems == []


def test_reading_ahead_works_on_plain_http_where_there_is_no_secure_context(
    database: Database, live_server: ServerProcess, launch: Callable[..., Any]
) -> None:
    """The agencies' LANs often serve plain HTTP from an address that is not localhost: no
    service worker, no Cache Storage there. Chromium is sent to the server under a LAN-like
    name, so the page is not a secure context, and a document read ahead still opens with
    the network down (the HTTP cache, at the document's immutable address)."""
    meeting = make_meeting(database, items=1)
    storage = Storage(live_server.instance / "storage")
    make_document(database, storage, meeting, title="Tờ trình")
    context = launch("tablet-lan", ("--host-resolver-rules=MAP ecabinet.test 127.0.0.1",))
    page = context.new_page()
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda err: problems.append(str(err)))
    lan = f"http://ecabinet.test:{live_server.port}"
    page.goto(f"{lan}/p/{make_token(database, meeting)}")
    page.wait_for_selector("#conn[data-state=online]", timeout=10_000)
    assert page.evaluate("() => window.isSecureContext") is False
    assert page.evaluate("() => 'serviceWorker' in navigator") is False
    page.wait_for_selector("[data-cache=ready]", timeout=10_000)
    context.set_offline(True)
    page.wait_for_selector("#conn[data-state=offline]", timeout=10_000)
    page.click("button.doc-open")
    page.wait_for_selector("#viewer[data-state=ready]", timeout=10_000)
    assert page.get_attribute("#viewer", "data-mode") == "pdf"
    assert [p for p in problems if "ERR_INTERNET_DISCONNECTED" not in p] == []
