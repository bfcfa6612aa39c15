"""Printed cards in real Chromium: every QR decoded from the rendered card PDF opens, in a
fresh browser, that delegate's meeting with no typing; a photo of a confidential meeting's
card opens nothing on a second device; reading a confidential document through pdf.js
leaves exactly one viewing record."""

from __future__ import annotations

import io
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from sqlmodel import select

from ecabinet.db import Database
from ecabinet.documents.models import DocumentAccess
from ecabinet.documents.storage import Storage
from ecabinet.meetings.models import Meeting
from ecabinet.pickup.qr import qr_png
from ecabinet.printing import service as printing
from ecabinet.printing.models import PrintKind, Printout
from ecabinet.sealing import read_plain
from tests.factories import make_attendee, make_document, make_meeting, make_token
from tests.tools import ServerProcess, need_module, server_storage

pytestmark = pytest.mark.browser

NAMES = ["Hoàng Thị Nguyệt", "Bùi Văn Thắng", "Ngô Quỳnh Anh"]


def print_cards(database: Database, storage: Storage, meeting: Any, base: str) -> list[str]:
    """Print the meeting's cards as the secretary's job does; the links decoded from them."""
    pdfium = need_module("pypdfium2", "renders PDF pages")
    zxingcpp = need_module("zxingcpp", "decodes QR codes")
    with database.unit_of_work() as session:
        printout = printing.request_printout(
            session,
            actor=meeting.secretary.actor,
            meeting_id=meeting.id,
            kind=PrintKind.CARDS,
            public_url=base,
        )
        printout_id = printout.id or 0
    deadline = time.monotonic() + 30  # the server's job runner builds it
    while True:
        with database.unit_of_work(write=False) as session:
            row = session.get(Printout, printout_id)
            assert row is not None
            if row.status == "ready":
                break
        assert time.monotonic() < deadline, row.status
        time.sleep(0.1)
    pdf = read_plain(printing.file_path(storage, printout_id), storage.ring)
    links: list[str] = []
    for page in pdfium.PdfDocument(pdf):
        image = page.render(scale=150 / 72).to_pil()
        links += [code.text for code in zxingcpp.read_barcodes(image)]
    return links


def test_each_printed_qr_opens_its_delegates_meeting_in_a_fresh_browser(
    database: Database, live_server: ServerProcess, launch: Callable[..., Any]
) -> None:
    meeting = make_meeting(database, title="Hội nghị Ban Chấp hành mở rộng")
    for name in NAMES:
        make_attendee(database, meeting, name=name)
    storage = server_storage(live_server.instance)
    links = print_cards(database, storage, meeting, live_server.url)
    assert len(links) == len(NAMES)
    greeted = []
    for n, link in enumerate(links):
        tablet = launch(f"card-{n}", viewport={"width": 800, "height": 1280}).new_page()
        tablet.goto(link)
        assert tablet.url == f"{live_server.url}/tablet"  # no token left in the address bar
        tablet.wait_for_selector("#conn[data-state=online]", timeout=10_000)
        body = tablet.text_content("body") or ""
        assert "Hội nghị Ban Chấp hành mở rộng" in body
        greeted += [name for name in NAMES if name in body]
    assert sorted(greeted) == sorted(NAMES)


def test_a_forwarded_card_of_a_confidential_meeting_opens_nothing_and_reading_is_recorded_once(
    database: Database, live_server: ServerProcess, launch: Callable[..., Any]
) -> None:
    meeting = make_meeting(database)
    storage = server_storage(live_server.instance)
    make_document(database, storage, meeting, title="Báo cáo nhân sự")
    with database.unit_of_work() as session:
        row = session.get(Meeting, meeting.id)
        assert row is not None
        row.confidentiality = "mat"
    make_attendee(database, meeting, name="Đinh Công Tráng")
    [link] = print_cards(database, storage, meeting, live_server.url)
    tablet = launch("owner", viewport={"width": 1024, "height": 768}).new_page()
    tablet.goto(link)
    tablet.wait_for_selector("#conn[data-state=online]", timeout=10_000)
    tablet.click("button.doc-open")
    tablet.wait_for_selector("#viewer[data-state=ready]", timeout=15_000)
    with database.unit_of_work(write=False) as session:
        viewings = session.exec(select(DocumentAccess)).all()
    assert len(viewings) == 1  # one viewing, however many Range requests pdf.js made
    assert viewings[0].viewer_name == "Đinh Công Tráng"
    assert viewings[0].device_id is not None  # which tablet it was
    forwarded = launch("photo", viewport={"width": 800, "height": 1280}).new_page()
    forwarded.goto(link)  # a photo of the card, scanned on another phone
    assert "đã được dùng trên một máy khác" in (forwarded.text_content("body") or "")
    forwarded.goto(f"{live_server.url}/tablet")
    assert forwarded.url != f"{live_server.url}/tablet"  # sent away: nothing opened


def y4m_of(png: bytes, path: Path) -> Path:
    """A fake camera's video: the QR centred on white, as Chromium's
    --use-file-for-fake-video-capture reads it (Y4M, 4:2:0)."""
    from PIL import Image

    width, height = 640, 480
    code = Image.open(io.BytesIO(png)).convert("L")
    side = min(width, height) - 80
    frame = Image.new("L", (width, height), 255)
    frame.paste(code.resize((side, side)), ((width - side) // 2, (height - side) // 2))
    luma = frame.tobytes()
    chroma = bytes([128]) * (width // 2 * height // 2)
    with open(path, "wb") as out:
        out.write(f"YUV4MPEG2 W{width} H{height} F10:1 Ip A1:1 C420jpeg\n".encode())
        for _ in range(5):
            out.write(b"FRAME\n" + luma + chroma + chroma)
    return path


def test_the_in_app_scanner_reads_a_card_through_the_camera(
    database: Database, live_server: ServerProcess, launch: Callable[..., Any], tmp_path: Path
) -> None:
    """On a secure context (here 127.0.0.1) the entry page offers the camera; a fake camera
    showing a card's QR lands the tablet on that delegate's meeting."""
    meeting = make_meeting(database)
    token = make_token(database, meeting, make_attendee(database, meeting, name="Lý Thường Kiệt"))
    video = y4m_of(qr_png(f"{live_server.url}/p/{token}", box_size=8), tmp_path / "card.y4m")
    camera = (
        "--use-fake-ui-for-media-stream",
        "--use-fake-device-for-media-stream",
        f"--use-file-for-fake-video-capture={video}",
    )
    page = launch("scanner", extra_args=camera, viewport={"width": 800, "height": 1280}).new_page()
    problems: list[str] = []
    page.on("pageerror", lambda err: problems.append(str(err)))
    page.goto(f"{live_server.url}/ma")
    page.wait_for_selector("#scanner[data-state=ready]", timeout=5_000)
    page.click("#scan-start")
    page.wait_for_url(f"{live_server.url}/tablet", timeout=15_000)
    page.wait_for_selector("#conn[data-state=online]", timeout=10_000)
    assert "Lý Thường Kiệt" in (page.text_content("body") or "")
    assert problems == []


def test_on_plain_http_the_page_says_to_use_the_camera_app(
    live_server: ServerProcess, launch: Callable[..., Any]
) -> None:
    """A LAN name over plain HTTP is no secure context, so no camera: the page shows the way
    that works there, the tablet's own camera app (the name is mapped to this server)."""
    port = urlsplit(live_server.url).port
    lan = ("--host-resolver-rules=MAP phonghop.lan 127.0.0.1",)
    page = launch("insecure", extra_args=lan).new_page()
    page.goto(f"http://phonghop.lan:{port}/ma")
    assert page.evaluate("window.isSecureContext") is False
    page.wait_for_selector("#scanner[data-state=unavailable]")
    assert not page.is_visible("#scan-start")
    assert page.is_visible(".scan-unavailable")
    assert "ứng dụng máy ảnh" in (page.text_content(".scan-unavailable") or "")
