"""The page images viewer (static/js/pageview.js) in real Chromium against a real server: it
waits while the pages are rendered, then pages, zooms and follows goTo, under the app's CSP."""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

import pytest
import requests

from ecabinet.db import Database
from ecabinet.documents.models import Document, DocumentStatus
from ecabinet.documents.storage import Storage
from ecabinet.documents.upload import upload_document
from tests.browser.test_chair_and_tablet import watch
from tests.factories import make_meeting, make_token
from tests.http.test_page_images import three_pages
from tests.tools import ServerProcess

pytestmark = pytest.mark.browser

HARNESS = """<!doctype html>
<html lang="vi"><head><meta charset="utf-8"><title>pageview</title>
<link rel="icon" href="data:,"></head>
<body><div id="pv"></div><script src="/static/js/pageview.js"></script></body></html>"""


def test_the_fallback_viewer_waits_for_the_pages_then_pages_and_zooms(
    database: Database, live_server: ServerProcess, launch: Callable[..., Any]
) -> None:
    meeting = make_meeting(database)
    document = upload_document(  # the server's runner checks it, then renders its pages
        database,
        Storage(live_server.instance / "storage"),
        actor=meeting.secretary.actor,
        meeting_id=meeting.id,
        stream=io.BytesIO(three_pages()),
        filename="bao-cao.pdf",
        max_bytes=10 * 1024 * 1024,
    )
    seen: list[str] = []
    problems: list[str] = []
    page = launch("old-tablet", viewport={"width": 1024, "height": 768}).new_page()
    watch(page, live_server, seen, problems)
    failed: list[str] = []  # which request, when the console only says "Failed to load"
    page.on("response", lambda r: failed.append(f"{r.status} {r.url}") if r.status >= 400 else None)
    # The card signs the browser in as the delegate; the tablet page it leads to is not
    # loaded (its own scripts are not what this test is about).
    page.route(f"{live_server.url}/tablet", lambda route: route.fulfill(status=200, body=""))
    page.goto(f"{live_server.url}/p/{make_token(database, meeting)}")
    # A page of this origin holding only the viewer, under the app's own CSP.
    policy = requests.get(f"{live_server.url}/healthz", timeout=5).headers[
        "Content-Security-Policy"
    ]
    page.route(
        f"{live_server.url}/pageview-harness",
        lambda route: route.fulfill(
            status=200,
            content_type="text/html; charset=utf-8",
            headers={"Content-Security-Policy": policy},
            body=HARNESS,
        ),
    )
    page.goto(f"{live_server.url}/pageview-harness")
    page.wait_for_function("() => window.document.readyState === 'complete'")
    for _ in range(100):  # the server's runner checks it before delegates may see it
        with database.unit_of_work(write=False) as session:
            checked = session.get(Document, document.id)
            if checked is not None and checked.status == DocumentStatus.READY:
                break
        page.wait_for_timeout(100)
    page.evaluate(
        """id => {
            var box = document.getElementById("pv");
            box.style.width = "800px";
            window.seenStates = [];
            window.shown = [];
            ECabinetPageImages.open({id: id, title: "Báo cáo", confidentiality: "normal"}, box, {
                onState: function (state) { window.seenStates.push(state); },
                onPage: function (number, count) { window.shown.push(number + "/" + count); }
            });
            ECabinetPageImages.goTo(2);  // the presenter is on page 2 before it is ready
        }""",
        document.id,
    )
    page.wait_for_selector("#pv[data-pv-state=ready]", timeout=20_000)
    assert "rendering" in page.evaluate("window.seenStates")  # "Đang chuẩn bị trang…" shown
    assert page.text_content(".pv-label") == "2/3"
    assert page.get_attribute("#pv", "data-pv-page") == "2"
    assert page.eval_on_selector("img.pv-page", "i => i.naturalWidth") == 1600  # landscape
    page.click(".pv-next")
    page.wait_for_function("() => document.querySelector('.pv-label').textContent === '3/3'")
    assert page.is_disabled(".pv-next")
    page.click(".pv-prev")
    page.click(".pv-prev")
    page.wait_for_function("() => document.querySelector('.pv-label').textContent === '1/3'")
    assert page.is_disabled(".pv-prev")
    page.wait_for_function(  # the label moves at once; the picture once it has loaded
        "() => /\\/1$/.test(document.querySelector('img.pv-page').src)", timeout=5_000
    )
    fit = page.eval_on_selector("img.pv-page", "i => i.getBoundingClientRect().width")
    assert 700 < fit <= 800
    assert page.is_disabled(".pv-fit")
    page.click(".pv-zoom-in")
    assert page.eval_on_selector("img.pv-page", "i => i.getBoundingClientRect().width") > fit * 1.4
    page.click(".pv-fit")
    page.click(".pv-zoom-out")
    assert page.eval_on_selector("img.pv-page", "i => i.getBoundingClientRect().width") < fit * 0.8
    page.evaluate("ECabinetPageImages.goTo(99)")
    page.wait_for_function("() => document.querySelector('.pv-label').textContent === '3/3'")
    assert page.evaluate("ECabinetPageImages.current()")["page"] == 3
    shown = page.evaluate("window.shown")
    assert (shown[0], shown[-1]) == ("2/3", "3/3")
    images = [url for url in seen if "/pages/" in url and "/api/" not in url]
    assert images, seen
    prefix = f"{live_server.url}/documents/{document.id}/pages/"
    assert all(url.startswith(prefix) for url in images)
    assert all("?" not in url for url in images)  # only the immutable URLs, never busted
    page.evaluate("ECabinetPageImages.close()")
    assert page.eval_on_selector("#pv", "b => b.children.length") == 0
    assert (problems, failed) == ([], [])
