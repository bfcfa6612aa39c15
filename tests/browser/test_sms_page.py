"""The SMS page in real Chromium against a real server whose relay sends to a fake Android
SMS gateway on 127.0.0.1: preview shows the encoding and segments, one click queues the
invitations, the status follows to "Đã gửi" by itself, a delegate's "C" shows as an answer,
and the page asks no other host for anything."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from ecabinet.db import Database
from ecabinet.meetings import lifecycle
from tests.browser.test_chair_and_tablet import sign_in, watch
from tests.factories import make_attendee, make_meeting
from tests.tools import ServerProcess

pytestmark = pytest.mark.browser


@pytest.fixture
def phones(httpserver: HTTPServer) -> list[dict[str, Any]]:
    received: list[dict[str, Any]] = []

    def take(request: Request) -> Response:
        body = request.get_json()
        received.append(body)
        return Response(json.dumps({"id": body["id"], "state": "Pending"}), status=202)

    httpserver.expect_request("/message", method="POST").respond_with_handler(take)
    return received


@pytest.fixture
def sms_server(
    db_url: str, tmp_path: Path, httpserver: HTTPServer, phones: list[dict[str, Any]]
) -> Iterator[ServerProcess]:
    instance = tmp_path / "sms-instance"
    instance.mkdir()
    (instance / "secret_key").write_text("sms-browser-secret-key-0123456789abcdef0123456789")
    server = ServerProcess(
        instance=instance,
        database_url=db_url,
        extra_env={
            "ECABINET_SMS_GATEWAY": "http-json",
            "ECABINET_SMS_OPTIONS__URL": httpserver.url_for("/"),
        },
    )
    server.extra_env["ECABINET_PUBLIC_URL"] = server.url
    server.start()
    yield server
    server.stop()


def test_a_secretary_sends_the_invitations_and_watches_them_go(
    database: Database,
    sms_server: ServerProcess,
    launch: Callable[..., Any],
    phones: list[dict[str, Any]],
    httpserver: HTTPServer,
) -> None:
    meeting = make_meeting(database, title="Hội nghị Ban Chấp hành Đảng bộ tỉnh")
    make_attendee(database, meeting, name="Nguyễn Thị Hường", phone="0912345678")
    make_attendee(database, meeting, name="Trần Văn Đức", phone="0983000111")
    make_attendee(database, meeting, name="Lê Văn Không Số")
    with database.unit_of_work() as session:
        lifecycle.publish(session, actor=meeting.secretary.actor, meeting_id=meeting.id)
    problems: list[str] = []
    page = launch("secretary").new_page()
    watch(page, sms_server, [], problems)
    sign_in(page, sms_server, meeting.secretary.username)
    page.goto(f"{sms_server.url}/meetings/{meeting.id}")
    page.click("#sms-link")
    page.wait_for_selector("#sms-form")
    assert "không gửi tin thật" not in page.inner_text("#sms-gateway")  # a real gateway
    page.select_option("#sms-kind", "invitation")
    page.click("#sms-preview-button")
    preview = page.wait_for_selector("#sms-preview p").inner_text()
    assert preview.startswith("2 tin")
    assert "1 người không có số di động" in preview
    assert "GSM-7" in page.inner_text("#sms-preview")
    assert "Nguyễn Thị Hường" in page.inner_text("#sms-preview")
    page.click("#sms-send-button")
    page.wait_for_selector("text=Đã đưa 2 tin vào hàng gửi.")
    # The relay sends them; the page follows by itself to every message sent.
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:  # in Python: the page's CSP forbids eval'd predicates
        try:
            sent = page.query_selector('[data-count="sent"]')
            if sent is not None and sent.inner_text() == "2":
                break
        except Exception as error:  # the page reloads itself as the batch moves on
            if "context was destroyed" not in str(error):
                raise
        time.sleep(0.2)
    else:
        raise AssertionError(page.inner_text("#sms-status"))
    assert len(phones) == 2
    assert {m["phoneNumbers"][0] for m in phones} == {"+84912345678", "+84983000111"}
    rows = page.inner_text("#sms-messages")
    assert rows.count("Đã gửi") == 2
    assert "[liên kết riêng]" in rows  # the link is the delegate's, not shown to staff
    assert "/p/" not in rows
    # A delegate answers "C" through the gateway's webhook.
    key = (sms_server.instance / "secret_key").read_text().strip().encode()
    secret = (
        "/api/v1/sms/callback/"
        + hmac.new(key, b"ecabinet sms callback", hashlib.sha256).hexdigest()[:32]
    )
    answered = requests.post(
        sms_server.url + secret,
        json={
            "event": "sms:received",
            "id": "e1",
            "payload": {"message": "C", "phoneNumber": "+84912345678"},
        },
        timeout=5,
    )
    assert answered.status_code == 200
    page.reload()
    assert "1 sẽ dự (C)" in page.inner_text("#sms-answers")
    assert problems == []
