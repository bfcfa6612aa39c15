"""The SMS relay (`ecabinet worker`) killed with SIGKILL again and again while it sends 200
messages, 10 times per kind of provider (20 runs): exactly after a message was handed over
but before that was recorded (the worst moment), just before handing one over, and at random
moments.

With a provider that deduplicates by our client id (eSMS's RequestId), every message ends
sent and every phone got its message exactly once. With one that cannot (an HTTP gateway
without ids), nothing is lost and nothing is sent twice: a message whose fate the relay
could not know is marked unknown, for a person to decide, and never sent again by itself."""

from __future__ import annotations

import json
import random
import signal
import subprocess
import threading
import time
from collections import Counter
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer
from sqlalchemy import insert
from sqlmodel import select
from werkzeug import Request, Response

from ecabinet.actor import SYSTEM
from ecabinet.attendees.models import Attendee
from ecabinet.db import Database
from ecabinet.meetings import lifecycle
from ecabinet.notify import service
from ecabinet.notify.gateways.esms import PATH as ESMS_PATH
from ecabinet.notify.models import SmsKind, SmsMessage, SmsState
from ecabinet.timeutil import utcnow
from tests.factories import make_meeting
from tests.tools import worker_process

pytestmark = pytest.mark.system
RUNS = 10  # kills per kind of provider: 20 runs in all
MESSAGES = 200


class Provider:
    """What reached a phone, by our client id; eSMS-like when `dedupes`."""

    def __init__(self, server: HTTPServer, *, dedupes: bool) -> None:
        self.phones: Counter[str] = Counter()  # client id -> SMS that reached the phone
        self.requests = 0
        self.lock = threading.Lock()
        if dedupes:
            server.expect_request(ESMS_PATH).respond_with_handler(self.esms)
        else:
            server.expect_request("/message").respond_with_handler(self.plain)

    def esms(self, request: Request) -> Response:
        request_id = request.get_json()["RequestId"]
        with self.lock:
            self.requests += 1
            code = "124" if self.phones[request_id] else "100"
            if code == "100":
                self.phones[request_id] += 1
        return Response(json.dumps({"CodeResult": code, "SMSID": f"s-{request_id}"}))

    def plain(self, request: Request) -> Response:
        client_id = request.get_json()["id"]
        with self.lock:
            self.requests += 1
            self.phones[client_id] += 1  # no ids: every request is an SMS
        return Response(json.dumps({"id": client_id, "state": "Pending"}), status=202)


def relay(
    instance: Path, db_url: str, gateway: dict[str, str], failpoint: str = ""
) -> subprocess.Popen[bytes]:
    return worker_process(
        instance,
        db_url,
        log="relay.log",
        ECABINET_SMS_RATE_PER_SECOND="1000",
        ECABINET_SMS_OPTIONS__TIMEOUT="0.4",  # a send ends inside the 1 s lease
        ECABINET_FAILPOINTS=failpoint,
        **gateway,
    )


def queue(database: Database) -> int:
    meeting = make_meeting(database, items=1)
    now = utcnow()
    with database.unit_of_work() as session:
        session.execute(
            insert(Attendee),
            [
                {
                    "meeting_id": meeting.id,
                    "full_name": f"Đại biểu {n}",
                    "position": "",
                    "unit": "",
                    "phone": f"+84912{n:06d}",
                    "role": "delegate",
                    "search_text": "",
                    "rsvp": "",
                    "created_at": now,
                }
                for n in range(MESSAGES)
            ],
        )
        lifecycle.publish(session, actor=SYSTEM, meeting_id=meeting.id)
    with database.unit_of_work() as session:
        queued = service.queue_messages(
            session,
            actor=SYSTEM,
            meeting_id=meeting.id,
            kind=SmsKind.FREE,
            settings=service.NotifySettings(),
            content="Kính mời đồng chí dự họp lúc 8 giờ",
        )
    assert queued.queued == MESSAGES
    return meeting.id


def states(database: Database) -> dict[str, str]:
    with database.unit_of_work(write=False) as session:
        return {m.client_id: m.state for m in session.exec(select(SmsMessage))}


def pending(database: Database) -> int:
    return sum(s in (SmsState.QUEUED, SmsState.SENDING) for s in states(database).values())


@pytest.mark.parametrize("dedupes", [True, False], ids=["esms-dedupes", "plain-http"])
def test_a_relay_killed_over_and_over_loses_nothing_and_sends_nothing_twice(
    database: Database, db_url: str, tmp_path: Path, httpserver: HTTPServer, dedupes: bool
) -> None:
    instance = tmp_path / "relay-instance"
    instance.mkdir()
    (instance / "secret_key").write_text("relay-test-secret-key-0123456789abcdef0123456789")
    provider = Provider(httpserver, dedupes=dedupes)
    base = httpserver.url_for("").rstrip("/")
    gateway = (
        {
            "ECABINET_SMS_GATEWAY": "esms",
            "ECABINET_SMS_OPTIONS__API_KEY": "k",
            "ECABINET_SMS_OPTIONS__SECRET_KEY": "s",
            "ECABINET_SMS_OPTIONS__BRANDNAME": "TINHUY",
            "ECABINET_SMS_OPTIONS__BASE_URL": base,
        }
        if dedupes
        else {"ECABINET_SMS_GATEWAY": "http-json", "ECABINET_SMS_OPTIONS__URL": base}
    )
    queue(database)
    rng = random.Random(10 + dedupes)  # noqa: S311  (test timing, not security)
    kills = 0
    for run in range(RUNS):
        point = ["sms.after_send", "sms.before_send", ""][run % 3]
        proc = relay(instance, db_url, gateway, f"{point}@{rng.randint(1, 12)}" if point else "")
        if point:
            try:
                proc.wait(timeout=30)  # it dies at the failpoint, a few messages in
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        else:
            time.sleep(rng.uniform(0.8, 1.6))  # start-up takes most of a second
            proc.send_signal(signal.SIGKILL)
            proc.wait()
        kills += proc.returncode == -signal.SIGKILL
    assert kills >= RUNS - 1, f"only {kills} kills"  # the last runs may find nothing to send
    survivor = relay(instance, db_url, gateway)
    try:
        deadline = time.monotonic() + 120
        while pending(database) and time.monotonic() < deadline:
            time.sleep(0.3)
    finally:
        survivor.terminate()
        survivor.wait(timeout=10)
    final = states(database)
    assert pending(database) == 0, (instance / "relay.log").read_text()[-2000:]
    assert len(final) == MESSAGES
    assert max(provider.phones.values()) == 1  # no phone got a message twice
    by_state = Counter(final.values())
    if dedupes:
        assert by_state == {SmsState.SENT: MESSAGES}
        assert set(provider.phones) == set(final)  # lost = 0
        assert provider.requests > MESSAGES  # the kills really made it ask again
    else:
        assert set(by_state) <= {SmsState.SENT, SmsState.UNKNOWN}
        assert by_state[SmsState.UNKNOWN] > 0  # the kills really left some in doubt
        for client_id, state in final.items():
            if state == SmsState.SENT:
                assert provider.phones[client_id] == 1, client_id  # sent means it went
        # Every message went out or is in doubt for a person: none silently lost.
        assert all(provider.phones[c] == 1 or s == SmsState.UNKNOWN for c, s in final.items())
