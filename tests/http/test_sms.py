"""The SMS outbox over HTTP, with the relay sending to a fake Android SMS gateway on
127.0.0.1: invitations queued once, each delegate's link opening their meeting (and still
after a new card), the link kept out of the database and the pages, preview with encoding,
segments and cost, who may send, retries, resending, a crash mid-send (unknown, or asked
again where the gateway deduplicates), delivery reports and "C" / "K" replies."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from pytest_httpserver import HTTPServer
from sqlmodel import col, select
from werkzeug import Request, Response

from ecabinet.actor import Role
from ecabinet.attendees.models import Attendee
from ecabinet.auth.service import hash_token
from ecabinet.db import Database
from ecabinet.jobs.models import Job
from ecabinet.meetings import lifecycle
from ecabinet.notify.api import callback_secret
from ecabinet.notify.models import SmsMessage, SmsReply
from ecabinet.pickup import service as pickup
from ecabinet.pickup.models import AttendeeToken
from tests.conftest import Login, app_config, run_jobs
from tests.factories import MeetingFixture, make_attendee, make_user

PUBLIC_URL = "http://10.0.0.5:5000"


class FakeAndroid:
    """SMS Gateway for Android in local mode: takes JSON, answers 202, or what a test sets."""

    def __init__(self, server: HTTPServer) -> None:
        self.received: list[dict[str, Any]] = []
        self.status = 202
        server.expect_request("/message", method="POST").respond_with_handler(self.handle)

    def handle(self, request: Request) -> Response:
        body = request.get_json()
        if self.status != 202:
            return Response("refused", status=self.status)
        self.received.append(body)
        answer = {"id": body["id"], "state": "Pending"}
        return Response(json.dumps(answer), status=202, content_type="application/json")


@pytest.fixture
def android(httpserver: HTTPServer) -> FakeAndroid:
    return FakeAndroid(httpserver)


@pytest.fixture
def app(db_url: str, tmp_path: Path, httpserver: HTTPServer) -> Iterator[Flask]:
    from ecabinet.app import create_app

    application = create_app(
        app_config(
            db_url,
            tmp_path,
            PUBLIC_URL=PUBLIC_URL,
            SMS_GATEWAY="http-json",
            SMS_OPTIONS={"URL": httpserver.url_for("/"), "TIMEOUT": 2},
            SMS_PRICE_PER_SEGMENT=800,
            SMS_RETRY_SECONDS=0.05,
            SMS_RETRY_MAX_SECONDS=0.2,
        )
    )
    yield application
    application.extensions["ecabinet.live"].close()
    application.extensions["ecabinet.db"].dispose()


def published(app_db: Database, meeting: MeetingFixture) -> list[int]:
    """Publish the meeting with four attendees: two mobiles, no phone, a desk phone."""
    ids = [
        make_attendee(app_db, meeting, name="Nguyễn Thị Hường", phone="0912 345 678"),
        make_attendee(app_db, meeting, name="Trần Văn Đức", phone="+84 983 000 111"),
        make_attendee(app_db, meeting, name="Lê Văn Không Số"),
        make_attendee(app_db, meeting, name="Phòng Hành chính", phone="0235 3822 111"),
    ]
    with app_db.unit_of_work() as session:
        lifecycle.publish(session, actor=meeting.secretary.actor, meeting_id=meeting.id)
    return ids


def post(client: FlaskClient, csrf: str, path: str, body: dict[str, Any]) -> Any:
    return client.post(path, json=body, headers={"X-CSRFToken": csrf})


def test_invitations_go_once_each_with_a_link_that_opens_the_meeting(
    app: Flask,
    client: FlaskClient,
    login: Login,
    app_db: Database,
    meeting: MeetingFixture,
    android: FakeAndroid,
) -> None:
    hoa, duc, _no_phone, _desk = published(app_db, meeting)
    csrf = login.as_staff(meeting.secretary)
    url = f"/api/v1/meetings/{meeting.id}/sms"
    first = post(client, csrf, url, {"kind": "invitation"})
    assert first.status_code == 202, first.json
    assert first.json["queued"] == 2
    assert len(first.json["no_phone"]) == 2
    again = post(client, csrf, url, {"kind": "invitation"})  # a double click
    assert (again.json["queued"], again.json["repeated"]) == (0, 2)
    assert android.received == []  # queued, not sent, until the relay runs
    run_jobs(app)
    assert sorted(m["phoneNumbers"][0] for m in android.received) == [
        "+84912345678",
        "+84983000111",
    ]
    listed = client.get(url).json
    assert listed["counts"]["sent"] == 2
    assert {m["state"] for m in listed["messages"]} == {"sent"}
    text = next(m["message"] for m in android.received if m["phoneNumbers"] == ["+84912345678"])
    assert text.startswith("trân trọng kính mời".upper()[:0] or "")  # never empty
    assert "Nguyen Thi Huong" in text  # không dấu by default: GSM-7
    link = re.search(re.escape(PUBLIC_URL) + r"/p/([A-Za-z0-9_-]{22})", text)
    assert link, text
    token = link.group(1)
    # The link is not in the database: the message keeps a mark, pickup keeps a hash.
    with app_db.unit_of_work(write=False) as session:
        bodies = " ".join(m.body for m in session.exec(select(SmsMessage)))
        assert token not in bodies
        assert (
            session.exec(select(AttendeeToken).where(AttendeeToken.token_hash == hash_token(token)))
            .one()
            .channel
            == "sms"
        )
    assert all(
        "[liên kết riêng]" in m["text"] and "/p/" not in m["text"] for m in listed["messages"]
    )
    # The delegate's phone opens the meeting with no typing, even after a new card.
    with app_db.unit_of_work() as session:
        pickup.issue_token(
            session, actor=meeting.secretary.actor, attendee_id=hoa, lifetime=pickup.AccessWindow()
        )
    phone = app.test_client()
    entered = phone.get(f"/p/{token}")
    assert (entered.status_code, entered.headers["Location"]) == (302, "/tablet")
    assert "Nguyễn Thị Hường" in phone.get("/tablet").get_data(as_text=True)
    assert duc  # the other delegate got their own link
    tokens = {re.search(r"/p/([A-Za-z0-9_-]{22})", m["message"]).group(1) for m in android.received}
    assert len(tokens) == 2


def test_preview_shows_what_each_delegate_gets(
    client: FlaskClient, login: Login, app_db: Database, meeting: MeetingFixture
) -> None:
    published(app_db, meeting)
    csrf = login.as_staff(meeting.secretary)
    url = f"/api/v1/meetings/{meeting.id}/sms/preview"
    bare = post(client, csrf, url, {"kind": "invitation"}).json
    assert bare["messages"] == 2
    assert bare["no_phone"] == 2
    assert bare["strip_diacritics"] is True
    assert {line["encoding"] for line in bare["lines"]} == {"gsm7"}
    accented = post(client, csrf, url, {"kind": "invitation", "strip_diacritics": False}).json
    assert {line["encoding"] for line in accented["lines"]} == {"ucs2"}
    assert accented["segments"] > bare["segments"]
    assert accented["cost"] == accented["segments"] * 800
    line = accented["lines"][0]
    assert "Nguyễn Thị Hường" in line["text"]
    assert PUBLIC_URL + "/p/…" in line["text"]  # the link's place, not a live link
    free = post(
        client, csrf, url, {"kind": "free", "content": "Đề nghị mang theo thẻ đảng viên."}
    ).json
    assert free["lines"][0]["text"] == "De nghi mang theo the dang vien."


def test_who_may_send(
    app: Flask, client: FlaskClient, login: Login, app_db: Database, meeting: MeetingFixture
) -> None:
    published(app_db, meeting)
    url = f"/api/v1/meetings/{meeting.id}/sms"
    assert client.post(url, json={"kind": "invitation"}).status_code in (401, 400)
    for who in (meeting.chair, make_user(app_db, Role.SECRETARY)):
        other = app.test_client()
        csrf = Login(other).as_staff(who)
        refused = post(other, csrf, url, {"kind": "invitation"})
        assert refused.status_code in (403, 404), refused.json
        assert other.get(url).status_code in (403, 404)
    with app_db.unit_of_work(write=False) as session:
        assert session.exec(select(SmsMessage)).first() is None
    # The gateway's callback path is a secret (who holds it can forge replies): admins only.
    secretary = app.test_client()
    Login(secretary).as_staff(meeting.secretary)
    assert secretary.get("/api/v1/sms/gateway").status_code == 403
    admin = app.test_client()
    Login(admin).as_staff(make_user(app_db, Role.ADMIN))
    shown = admin.get("/api/v1/sms/gateway").json
    assert shown["callback_path"].startswith("/api/v1/sms/callback/")


def test_a_draft_meeting_is_not_announced_and_links_need_a_public_address(
    app: Flask, client: FlaskClient, login: Login, app_db: Database, meeting: MeetingFixture
) -> None:
    make_attendee(app_db, meeting, phone="0912345678")
    csrf = login.as_staff(meeting.secretary)
    url = f"/api/v1/meetings/{meeting.id}/sms"
    draft = post(client, csrf, url, {"kind": "invitation"})
    assert (draft.status_code, draft.json["error"]["code"]) == (409, "meeting_not_published")
    with app_db.unit_of_work() as session:
        lifecycle.publish(session, actor=meeting.secretary.actor, meeting_id=meeting.id)
    app.config["PUBLIC_URL"] = ""
    missing = post(client, csrf, url, {"kind": "invitation"})
    assert (missing.status_code, missing.json["error"]["code"]) == (409, "public_url_required")
    free = post(client, csrf, url, {"kind": "free", "content": "Họp lúc 8 giờ"})
    assert free.status_code == 202  # no link in it: no public address needed


def test_a_refused_message_can_be_sent_again(
    app: Flask,
    client: FlaskClient,
    login: Login,
    app_db: Database,
    meeting: MeetingFixture,
    android: FakeAndroid,
) -> None:
    published(app_db, meeting)
    csrf = login.as_staff(meeting.secretary)
    url = f"/api/v1/meetings/{meeting.id}/sms"
    android.status = 400
    post(client, csrf, url, {"kind": "free", "content": "Họp lúc 8 giờ"})
    run_jobs(app)
    failed = client.get(url + "?state=failed").json["messages"]
    assert len(failed) == 2
    assert "HTTP 400" in failed[0]["detail"]
    android.status = 202
    assert post(client, csrf, url + "/resend", {}).json == {"resent": 2}
    run_jobs(app)
    assert client.get(url).json["counts"]["sent"] == 2
    assert len(android.received) == 2
    assert len({m["id"] for m in android.received}) == 2  # each under a new client id


def test_a_gateway_outage_is_waited_out(
    app: Flask,
    client: FlaskClient,
    login: Login,
    app_db: Database,
    meeting: MeetingFixture,
    android: FakeAndroid,
) -> None:
    published(app_db, meeting)
    csrf = login.as_staff(meeting.secretary)
    url = f"/api/v1/meetings/{meeting.id}/sms"
    android.status = 503
    post(client, csrf, url, {"kind": "free", "content": "Họp lúc 8 giờ"})
    for _ in range(3):  # retried after a growing delay, never given up while it is down
        run_jobs(app)
        time.sleep(0.25)
    assert client.get(url).json["counts"]["queued"] == 2
    with app_db.unit_of_work(write=False) as session:
        messages = session.exec(select(SmsMessage)).all()
        assert all(m.attempts >= 2 for m in messages)
        assert "HTTP 503" in messages[0].detail
    android.status = 202
    time.sleep(0.25)
    run_jobs(app)
    assert client.get(url).json["counts"]["sent"] == 2
    assert len(android.received) == 2


def crash_mid_send(app_db: Database) -> None:
    """What a kill -9 between handing a message over and recording it leaves: the message
    `sending`, its job running under a lease that has run out."""
    from datetime import timedelta

    from ecabinet.timeutil import utcnow

    with app_db.unit_of_work() as session:
        for message in session.exec(select(SmsMessage)):
            message.state = "sending"
            message.attempts = 1
            session.add(message)
        for job in session.exec(select(Job).where(Job.kind == "notify.send")):
            job.state, job.locked_by = "running", "dead-worker"
            job.attempts, job.lease_until = 1, utcnow() - timedelta(seconds=1)
            session.add(job)


def test_after_a_crash_mid_send_a_gateway_that_cannot_dedupe_sends_nothing_again(
    app: Flask,
    client: FlaskClient,
    login: Login,
    app_db: Database,
    meeting: MeetingFixture,
    android: FakeAndroid,
) -> None:
    published(app_db, meeting)
    csrf = login.as_staff(meeting.secretary)
    url = f"/api/v1/meetings/{meeting.id}/sms"
    post(client, csrf, url, {"kind": "free", "content": "Họp lúc 8 giờ"})
    crash_mid_send(app_db)
    run_jobs(app)
    assert android.received == []
    listed = client.get(url).json
    assert listed["counts"]["unknown"] == 2
    assert "không rõ" in listed["messages"][0]["detail"].lower()


def test_after_a_crash_mid_send_a_deduplicating_gateway_is_asked_again(
    db_url: str, tmp_path: Path, httpserver: HTTPServer
) -> None:
    from ecabinet.app import create_app
    from ecabinet.notify.gateways.esms import PATH
    from tests.factories import make_meeting

    seen: list[str] = []

    def esms(request: Request) -> Response:
        request_id = request.get_json()["RequestId"]
        code = "124" if request_id in seen else "100"
        seen.append(request_id)
        return Response(json.dumps({"CodeResult": code, "SMSID": f"s{len(seen)}"}))

    httpserver.expect_request(PATH).respond_with_handler(esms)
    options = {
        "API_KEY": "k",
        "SECRET_KEY": "s",
        "BRANDNAME": "TINHUY",
        "BASE_URL": httpserver.url_for("").rstrip("/"),
    }
    application = create_app(
        app_config(db_url, tmp_path, PUBLIC_URL=PUBLIC_URL, SMS_GATEWAY="esms", SMS_OPTIONS=options)
    )
    database: Database = application.extensions["ecabinet.db"]
    meeting = make_meeting(database)
    published(database, meeting)
    client = application.test_client()
    csrf = Login(client).as_staff(meeting.secretary)
    url = f"/api/v1/meetings/{meeting.id}/sms"
    post(client, csrf, url, {"kind": "free", "content": "Họp lúc 8 giờ"})
    run_jobs(application)  # both sent
    crash_mid_send(database)  # as if the process died before recording them
    run_jobs(application)
    assert len(seen) == 4  # asked again, with the same RequestId
    assert len(set(seen)) == 2
    assert client.get(url).json["counts"]["sent"] == 2
    application.extensions["ecabinet.live"].close()
    database.dispose()


def test_reports_and_replies_come_back_through_the_callback(
    app: Flask,
    client: FlaskClient,
    login: Login,
    app_db: Database,
    meeting: MeetingFixture,
    android: FakeAndroid,
) -> None:
    hoa, duc, *_ = published(app_db, meeting)
    csrf = login.as_staff(meeting.secretary)
    post(client, csrf, f"/api/v1/meetings/{meeting.id}/sms", {"kind": "invitation"})
    run_jobs(app)
    # A later free message to the same phones: a "C" still answers the invitation.
    post(client, csrf, f"/api/v1/meetings/{meeting.id}/sms", {"kind": "free", "content": "Nhắc"})
    run_jobs(app)
    android.received = android.received[:2]
    with app.test_request_context():
        secret = callback_secret()
    gateway = app.test_client()  # the phone calling back: no session, no CSRF token
    assert gateway.post("/api/v1/sms/callback/wrong", json={}).status_code == 404
    to_hoa = next(m for m in android.received if m["phoneNumbers"] == ["+84912345678"])
    delivered = {"event": "sms:delivered", "payload": {"messageId": to_hoa["id"]}}
    answer = gateway.post(f"/api/v1/sms/callback/{secret}", json=delivered)
    assert answer.status_code == 200, answer.json
    reply = {
        "id": "evt-7",
        "event": "sms:received",
        "payload": {"message": " c ", "phoneNumber": "+84912345678"},
    }
    for _ in range(2):  # the gateway retries a webhook: one reply
        gateway.post(f"/api/v1/sms/callback/{secret}", json=reply)
    no = {
        "id": "evt-8",
        "event": "sms:received",
        "payload": {"message": "K", "phoneNumber": "0983000111"},
    }
    gateway.post(f"/api/v1/sms/callback/{secret}", json=no)
    with app_db.unit_of_work(write=False) as session:
        states = {
            m.attendee_id: m.state
            for m in session.exec(select(SmsMessage).where(SmsMessage.kind == "invitation"))
        }
        assert states[hoa] == "delivered"
        assert states[duc] == "sent"
        assert session.get(Attendee, hoa).rsvp == "yes"
        assert session.get(Attendee, duc).rsvp == "no"
        assert len(session.exec(select(SmsReply)).all()) == 2


def test_templates_are_edited_and_checked(
    app: Flask, client: FlaskClient, login: Login, app_db: Database, meeting: MeetingFixture
) -> None:
    published(app_db, meeting)
    csrf = login.as_staff(meeting.secretary)
    bad = client.put(
        "/api/v1/sms/templates",
        json={"kind": "invitation", "body": "Mời {ten} dự {cuoc_hop.__class__}"},
        headers={"X-CSRFToken": csrf},
    )
    assert (bad.status_code, bad.json["error"]["code"]) == (422, "template_unknown_field")
    good = client.put(
        "/api/v1/sms/templates",
        json={
            "kind": "invitation",
            "body": "Mời đ/c {ten} họp {thoi_gian}.",
            "strip_diacritics": False,
        },
        headers={"X-CSRFToken": csrf},
    )
    assert good.status_code == 200, good.json
    shown = post(client, csrf, f"/api/v1/meetings/{meeting.id}/sms/preview", {"kind": "invitation"})
    assert shown.json["lines"][0]["text"].startswith("Mời đ/c Nguyễn Thị Hường họp ")
    chair = app.test_client()
    chair_csrf = Login(chair).as_staff(meeting.chair)
    refused = chair.put(
        "/api/v1/sms/templates",
        json={"kind": "invitation", "body": "x"},
        headers={"X-CSRFToken": chair_csrf},
    )
    assert refused.status_code == 403


def test_a_gsm_modem_through_smstools_reports_and_replies(db_url: str, tmp_path: Path) -> None:
    """smstools has no callback: its folders are read by a poll job, queued after each send
    and again while messages may still bring reports or replies."""
    from ecabinet.app import create_app
    from tests.factories import make_meeting

    spool = tmp_path / "spool"
    for name in ("outgoing", "checked", "sent", "failed", "incoming"):
        (spool / name).mkdir(parents=True)
    application = create_app(
        app_config(
            db_url,
            tmp_path,
            PUBLIC_URL=PUBLIC_URL,
            SMS_GATEWAY="smstools",
            SMS_OPTIONS={"SPOOL": str(spool)},
            SMS_POLL_SECONDS=0.1,
        )
    )
    database: Database = application.extensions["ecabinet.db"]
    meeting = make_meeting(database)
    hoa, duc, *_ = published(database, meeting)
    client = application.test_client()
    csrf = Login(client).as_staff(meeting.secretary)
    url = f"/api/v1/meetings/{meeting.id}/sms"
    post(client, csrf, url, {"kind": "invitation"})
    run_jobs(application)
    handed = sorted(p.name for p in (spool / "outgoing").iterdir())
    assert len(handed) == 2
    # The modem sends one and fails the other; a delegate answers.
    (spool / "outgoing" / handed[0]).rename(spool / "sent" / handed[0])
    failed = (
        (spool / "outgoing" / handed[1])
        .read_bytes()
        .replace(b"\n\n", b"\nFail_reason: No carrier\n\n", 1)
    )
    (spool / "failed" / handed[1]).write_bytes(failed)
    (spool / "outgoing" / handed[1]).unlink()
    (spool / "incoming" / "GSM1.x1").write_bytes(
        b"From: 84983000111\nReceived: 26-12-07 08:05:00\nSubject: GSM1\n\nk"
    )
    time.sleep(0.2)
    run_jobs(application)
    with database.unit_of_work(write=False) as session:
        by_client = {m.client_id: m for m in session.exec(select(SmsMessage))}
        assert by_client[handed[0]].state == "sent"
        assert by_client[handed[1]].state == "failed"
        assert "No carrier" in by_client[handed[1]].detail
        assert session.get(Attendee, duc).rsvp == "no"
        assert session.get(Attendee, hoa).rsvp == ""
        polls = session.exec(select(Job).where(Job.kind == "notify.poll")).all()
        assert any(job.state == "queued" for job in polls)  # still listening for replies
    application.extensions["ecabinet.live"].close()
    database.dispose()


def test_when_the_gateway_comes_back_the_backlog_goes_at_once(
    app: Flask,
    client: FlaskClient,
    login: Login,
    app_db: Database,
    meeting: MeetingFixture,
    android: FakeAndroid,
) -> None:
    """Messages that waited out an outage do not sit out the rest of their backoff (minutes,
    by default) once the gateway takes a message again."""
    from dataclasses import replace
    from datetime import timedelta

    relay = app.extensions["ecabinet.notify"]
    relay.settings = replace(
        relay.settings, retry_base=timedelta(seconds=60), retry_cap=timedelta(seconds=300)
    )
    published(app_db, meeting)
    csrf = login.as_staff(meeting.secretary)
    url = f"/api/v1/meetings/{meeting.id}/sms"
    android.status = 503
    post(client, csrf, url, {"kind": "free", "content": "Họp lúc 8 giờ", "cause": "a1"})
    run_jobs(app)
    assert client.get(url).json["counts"]["queued"] == 2  # waiting a minute or more
    android.status = 202
    post(client, csrf, url, {"kind": "free", "content": "Họp lúc 9 giờ", "cause": "a2"})
    run_jobs(app)  # the new message goes, and with it the two that were waiting
    assert client.get(url).json["counts"]["sent"] == 4
    assert len(android.received) == 4


def test_a_message_to_those_who_have_not_answered(
    app: Flask,
    client: FlaskClient,
    login: Login,
    app_db: Database,
    meeting: MeetingFixture,
    android: FakeAndroid,
) -> None:
    hoa, _duc, *_ = published(app_db, meeting)
    with app_db.unit_of_work() as session:
        attendee = session.get(Attendee, hoa)
        attendee.rsvp = "yes"
        session.add(attendee)
    csrf = login.as_staff(meeting.secretary)
    url = f"/api/v1/meetings/{meeting.id}/sms"
    shown = post(client, csrf, url + "/preview", {"kind": "free", "content": "Nhắc", "answer": ""})
    assert [line["name"] for line in shown.json["lines"]] == ["Trần Văn Đức"]
    sent = post(client, csrf, url, {"kind": "free", "content": "Xin trả lời C/K", "answer": ""})
    assert sent.json["queued"] == 1
    run_jobs(app)
    assert [m["phoneNumbers"] for m in android.received] == [["+84983000111"]]
    nobody = post(client, csrf, url, {"kind": "free", "content": "Cảm ơn", "answer": "no"})
    assert (nobody.status_code, nobody.json["error"]["code"]) == (422, "sms_no_recipients")


def test_an_outcome_that_comes_late_still_counts_and_giving_up_on_a_maybe_is_unknown(
    app: Flask,
    client: FlaskClient,
    login: Login,
    app_db: Database,
    meeting: MeetingFixture,
    android: FakeAndroid,
) -> None:
    """A send that outlived its job's lease: another run marked the message unknown, then
    the gateway's answer arrives; it is what happened, so it counts. And a message whose
    earlier attempt may have gone out is unknown when given up, never failed (a resend of
    the failed ones would repeat it)."""
    from datetime import timedelta

    from ecabinet.notify.gateways.base import Outcome, SendResult
    from ecabinet.timeutil import utcnow

    published(app_db, meeting)
    csrf = login.as_staff(meeting.secretary)
    post(client, csrf, f"/api/v1/meetings/{meeting.id}/sms", {"kind": "free", "content": "Họp"})
    with app_db.unit_of_work() as session:
        first, second = session.exec(select(SmsMessage).order_by(col(SmsMessage.id))).all()
        first.state = "unknown"
        second.state, second.provider_code = "queued", "?"
        second.give_up_at = utcnow() - timedelta(seconds=1)
        session.add_all([first, second])
    relay = app.extensions["ecabinet.notify"]
    relay._finish(first.id, first.client_id, SendResult(Outcome.ACCEPTED, provider_id="p1"))
    run_jobs(app)
    with app_db.unit_of_work(write=False) as session:
        assert session.get(SmsMessage, first.id).state == "sent"
        assert session.get(SmsMessage, second.id).state == "unknown"
    assert android.received == []  # the first was not sent again, the second not at all
