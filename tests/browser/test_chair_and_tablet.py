"""Chair console and a delegate's tablet side by side in real Chromium."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import pytest

from ecabinet.db import Database
from ecabinet.documents.storage import Storage
from tests.factories import PASSWORD, make_meeting, make_token
from tests.tools import ServerProcess

pytestmark = pytest.mark.browser


def watch(page: Any, server: ServerProcess, seen: list[str], problems: list[str]) -> None:
    """Record every request, and every console error or CSP violation."""
    allowed = urlsplit(server.url).netloc

    def on_request(request: Any) -> None:
        seen.append(request.url)
        netloc = urlsplit(request.url).netloc
        if request.url.startswith(("http", "ws")) and netloc != allowed:
            problems.append(f"request to a foreign host: {request.url}")

    page.on("request", on_request)
    page.on("websocket", lambda ws: on_request(type("R", (), {"url": ws.url})()))
    page.on("console", lambda msg: problems.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda err: problems.append(str(err)))


def sign_in(page: Any, server: ServerProcess, username: str) -> None:
    """Through the real login form, as a person would."""
    page.goto(f"{server.url}/login")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{server.url}/meetings")


def test_next_on_chair_console_moves_the_tablet_within_a_second(
    database: Database, live_server: ServerProcess, launch: Callable[..., Any]
) -> None:
    meeting = make_meeting(database, items=4)
    storage = Storage(live_server.instance / "storage")
    from tests.factories import make_document

    make_document(database, storage, meeting, title="Báo cáo chính trị")
    token = make_token(database, meeting)
    seen: list[str] = []
    problems: list[str] = []

    chair = launch("chair", viewport={"width": 1280, "height": 900}).new_page()
    watch(chair, live_server, seen, problems)
    sign_in(chair, live_server, meeting.chair.username)
    chair.goto(f"{live_server.url}/meetings/{meeting.id}/chair")
    chair.wait_for_selector("#conn[data-state=online]", timeout=10_000)

    tablet = launch("tablet", viewport={"width": 1024, "height": 768}).new_page()
    watch(tablet, live_server, seen, problems)
    tablet.goto(f"{live_server.url}/p/{token}")
    assert tablet.url == f"{live_server.url}/tablet"
    tablet.wait_for_selector("#conn[data-state=online]", timeout=10_000)
    assert tablet.text_content("#current-title") == "Phiên họp chưa bắt đầu"

    chair.click("#btn-start")
    tablet.wait_for_function(
        "t => document.querySelector('#current-title').textContent === t",
        arg="Nội dung 1: báo cáo tình hình",
        timeout=1_000,
    )
    chair.wait_for_selector("#btn-next:not([disabled])")
    chair.click("#btn-next")
    tablet.wait_for_function(
        "t => document.querySelector('#agenda li.current .item-title').textContent === t",
        arg="Nội dung 2: báo cáo tình hình",
        timeout=1_000,
    )
    assert tablet.text_content("#current-title") == "Nội dung 2: báo cáo tình hình"
    assert chair.text_content("#current-title") == "Nội dung 2: báo cáo tình hình"

    tablet.click("button.doc-open")
    tablet.wait_for_selector("#viewer[data-state=ready]", timeout=15_000)
    assert tablet.get_attribute("#viewer", "data-pages") == "1"
    assert tablet.eval_on_selector("#viewer-pages canvas", "c => c.width") > 500

    assert problems == []
    assert any(re.search(r"/socket\.io/.*transport=websocket", url) for url in seen)
    assert any("/static/vendor/pdfjs/legacy/build/pdf.worker.min.mjs" in url for url in seen)


def test_room_screen_follows_the_chair(
    database: Database, live_server: ServerProcess, launch: Callable[..., Any]
) -> None:
    import requests

    meeting = make_meeting(database, items=2, title="Kỳ họp thứ 5 HĐND tỉnh")
    seen: list[str] = []
    problems: list[str] = []
    screen = launch("screen", viewport={"width": 1920, "height": 1080}).new_page()
    watch(screen, live_server, seen, problems)
    sign_in(screen, live_server, meeting.secretary.username)
    screen.goto(f"{live_server.url}/meetings/{meeting.id}/screen")
    screen.wait_for_selector("#conn[data-state=online]", timeout=10_000)
    auth = requests.post(
        f"{live_server.url}/api/v1/auth/tokens",
        json={"username": meeting.chair.username, "password": PASSWORD},
        timeout=10,
    ).json()["token"]
    requests.post(
        f"{live_server.url}/api/v1/meetings/{meeting.id}/live/start",
        headers={"Authorization": f"Bearer {auth}"},
        timeout=10,
    ).raise_for_status()
    screen.wait_for_function(
        "() => document.querySelector('#current-position').textContent === 'Mục I · 1/2'",
        timeout=2_000,
    )
    size = screen.eval_on_selector(
        "#current-title", "e => parseFloat(getComputedStyle(e).fontSize)"
    )
    assert size >= 100  # readable from 10 m on a 1080p screen
    assert problems == []


def test_tablet_catches_up_after_the_server_restarts(
    database: Database, live_server: ServerProcess, launch: Callable[..., Any]
) -> None:
    """Changes made while a tablet was cut off show up once it reconnects (join = full state)."""
    from ecabinet.live import service as live

    meeting = make_meeting(database, items=3)
    seen: list[str] = []
    problems: list[str] = []
    tablet = launch("tablet-restart").new_page()
    watch(tablet, live_server, seen, problems)
    tablet.goto(f"{live_server.url}/p/{make_token(database, meeting)}")
    tablet.wait_for_selector("#conn[data-state=online]", timeout=10_000)
    live_server.stop()
    tablet.wait_for_selector("#conn[data-state=offline]", timeout=10_000)
    with database.unit_of_work() as session:  # the chair moved on while the tablet was away
        live.start_meeting(session, actor=meeting.chair.actor, meeting_id=meeting.id)
        live.step(session, actor=meeting.chair.actor, meeting_id=meeting.id, delta=1)
    live_server.start()
    tablet.wait_for_function(
        "t => document.querySelector('#current-title').textContent === t",
        arg="Nội dung 2: báo cáo tình hình",
        timeout=15_000,
    )
    assert tablet.get_attribute("#conn", "data-state") == "online"
    # The browser logs the refused connections while the server was down; nothing else.
    assert [p for p in problems if "ERR_CONNECTION_REFUSED" not in p] == []


def test_a_version_gap_makes_the_tablet_ask_for_the_whole_state(
    database: Database, live_server: ServerProcess, launch: Callable[..., Any]
) -> None:
    meeting = make_meeting(database, items=2)
    tablet = launch("tablet-gap").new_page()
    sent: list[str] = []
    tablet.on("websocket", lambda ws: ws.on("framesent", lambda payload: sent.append(str(payload))))
    tablet.goto(f"{live_server.url}/p/{make_token(database, meeting)}")
    tablet.wait_for_selector("#conn[data-state=online]", timeout=10_000)
    assert not any("meeting:sync" in frame for frame in sent)
    # Deliver a push that skips versions, as if two pushes had been lost on bad Wi-Fi.
    tablet.evaluate(
        """() => {
            const c = window.ECabinetLive.connection;
            const s = c.getState();
            const handler = c.socket.listeners("meeting:state")[0];
            handler(Object.assign({}, s, {version: s.version + 3}));
        }"""
    )
    deadline = 50
    while deadline and not any("meeting:sync" in frame for frame in sent):
        tablet.wait_for_timeout(50)
        deadline -= 1
    assert any("meeting:sync" in frame for frame in sent)


def test_a_revoked_tablet_says_so(
    database: Database, live_server: ServerProcess, launch: Callable[..., Any]
) -> None:
    import requests

    from tests.factories import make_attendee

    meeting = make_meeting(database)
    attendee_id = make_attendee(database, meeting)
    tablet = launch("tablet-revoked").new_page()
    tablet.goto(f"{live_server.url}/p/{make_token(database, meeting, attendee_id)}")
    tablet.wait_for_selector("#conn[data-state=online]", timeout=10_000)
    secretary = requests.post(
        f"{live_server.url}/api/v1/auth/tokens",
        json={"username": meeting.secretary.username, "password": PASSWORD},
        timeout=10,
    ).json()["token"]
    auth = {"Authorization": f"Bearer {secretary}"}
    [device] = requests.get(
        f"{live_server.url}/api/v1/attendees/{attendee_id}/devices", headers=auth, timeout=10
    ).json()
    requests.post(  # the secretary cuts this tablet off
        f"{live_server.url}/api/v1/devices/{device['id']}/revoke", headers=auth, timeout=10
    ).raise_for_status()
    tablet.wait_for_selector("#conn[data-state=revoked]", timeout=5_000)
    assert "quét lại mã QR" in (tablet.text_content("#conn") or "")
