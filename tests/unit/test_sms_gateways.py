"""Contract tests of each SMS gateway against a real HTTP server on 127.0.0.1 that behaves as
the provider does (pytest-httpserver): success, a provider error, a timeout, a duplicate
client id, connection refused; the smstools gateway against real spool folders; parsing of
each provider's callbacks; the registry and a third-party gateway found by entry point."""

from __future__ import annotations

import json
import socket
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from ecabinet.notify.gateways import GatewayConfigError, known, make_gateway
from ecabinet.notify.gateways.base import OutboundSms, Outcome, ReportState, SmsGateway
from ecabinet.notify.gateways.esms import PATH as ESMS_PATH

VIETNAMESE = "Kính mời đ/c Nguyễn Thị Hường dự họp lúc 08:00 20/12/2026"


def sms(client_id: str = "ec0123456789abcdef0123", text: str = VIETNAMESE) -> OutboundSms:
    return OutboundSms(
        client_id=client_id, to="+84912345678", text=text, encoding="ucs2", segments=1
    )


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


class Slow:
    """A provider that answers after the client has given up. The fake server answers one
    request at a time: `wait()` lets the late answer go before the next test asks."""

    def __init__(self, seconds: float, answer: dict[str, Any]) -> None:
        self.seconds, self.answer = seconds, answer
        self.done = threading.Event()

    def __call__(self, request: Request) -> Response:
        time.sleep(self.seconds)
        self.done.set()
        return Response(json.dumps(self.answer), content_type="application/json")

    def wait(self) -> None:
        assert self.done.wait(5)
        time.sleep(0.05)


# --- eSMS -----------------------------------------------------------------------------


def fake_esms(
    httpserver: HTTPServer, code_for: dict[str, str] | None = None
) -> list[dict[str, Any]]:
    """eSMS as it behaves: 100 for a new RequestId, 124 for one seen before."""
    seen: list[dict[str, Any]] = []

    def handler(request: Request) -> Response:
        body = request.get_json()
        assert request.method == "POST"
        duplicate = any(b["RequestId"] == body["RequestId"] for b in seen)
        seen.append(body)
        code = "124" if duplicate else (code_for or {}).get(body["Phone"], "100")
        answer = {"CodeResult": code, "SMSID": f"sms-{len(seen)}" if code == "100" else None}
        return Response(json.dumps(answer), content_type="application/json")

    httpserver.expect_request(ESMS_PATH, method="POST").respond_with_handler(handler)
    return seen


def esms(httpserver: HTTPServer, **extra: Any) -> SmsGateway:
    options = {
        "API_KEY": "key-abc",
        "SECRET_KEY": "secret-xyz",
        "BRANDNAME": "TINHUY-QN",
        "BASE_URL": httpserver.url_for("").rstrip("/"),
        "TIMEOUT": 0.5,
        **extra,
    }
    return make_gateway("esms", options)


def test_esms_sends_and_a_repeated_request_id_is_one_message(httpserver: HTTPServer) -> None:
    seen = fake_esms(httpserver)
    gateway = esms(httpserver)
    assert gateway.deduplicates
    first = gateway.send(sms())
    assert (first.outcome, first.provider_id, first.code) == (Outcome.ACCEPTED, "sms-1", "100")
    again = gateway.send(sms())  # the relay asking again after a crash
    assert (again.outcome, again.code) == (Outcome.ACCEPTED, "124")
    body = seen[0]
    assert body["Phone"] == "0912345678"
    assert body["Content"] == VIETNAMESE
    assert body["IsUnicode"] == "1"
    assert body["RequestId"] == "ec0123456789abcdef0123"
    assert body["Brandname"] == "TINHUY-QN"


def test_esms_errors(httpserver: HTTPServer) -> None:
    fake_esms(httpserver, code_for={"0912345678": "103"})
    balance = esms(httpserver).send(sms())
    assert (balance.outcome, balance.account) == (Outcome.RETRY, True)
    assert "hết tiền" in balance.detail
    httpserver.clear()
    fake_esms(httpserver, code_for={"0912345678": "146"})
    template = esms(httpserver).send(sms("ec2"))
    assert template.outcome == Outcome.REJECTED
    assert "mẫu" in template.detail
    httpserver.clear()
    httpserver.expect_request(ESMS_PATH).respond_with_data("busy", status=503)
    assert esms(httpserver).send(sms("ec3")).outcome == Outcome.RETRY


def test_esms_timeout_after_sending_is_unknown(httpserver: HTTPServer) -> None:
    late = Slow(0.6, {"CodeResult": "100"})
    httpserver.expect_request(ESMS_PATH).respond_with_handler(late)
    result = esms(httpserver, TIMEOUT=0.3).send(sms())
    assert result.outcome == Outcome.UNKNOWN
    late.wait()


def test_a_refused_connection_is_retried() -> None:
    gateway = make_gateway(
        "esms",
        {
            "API_KEY": "k",
            "SECRET_KEY": "s",
            "BRANDNAME": "B",
            "BASE_URL": f"http://127.0.0.1:{closed_port()}",
        },
    )
    assert gateway.send(sms()).outcome == Outcome.RETRY


def test_esms_callback() -> None:
    gateway = make_gateway("esms", {"API_KEY": "k", "SECRET_KEY": "s", "BRANDNAME": "B"})
    delivered = gateway.parse_callback(
        {"SMSID": "sms-1", "SendStatus": "5", "RequestId": "ec1", "telcoid": "1"}, b"", ""
    )
    assert [(r.state, r.provider_id, r.client_id) for r in delivered.reports] == [
        (ReportState.DELIVERED, "sms-1", "ec1")
    ]
    refused = gateway.parse_callback({"SMSID": "sms-2", "SendStatus": "4"}, b"", "")
    assert refused.reports[0].state == ReportState.FAILED
    assert gateway.parse_callback({"SendStatus": "1"}, b"", "").reports == []


# --- SpeedSMS -------------------------------------------------------------------------


def speedsms(httpserver: HTTPServer, **extra: Any) -> SmsGateway:
    return make_gateway(
        "speedsms",
        {
            "ACCESS_TOKEN": "tok-123",
            "BASE_URL": httpserver.url_for("").rstrip("/"),
            "TIMEOUT": 0.5,
            **extra,
        },
    )


def test_speedsms_sends_with_basic_auth(httpserver: HTTPServer) -> None:
    seen: list[Request] = []

    def handler(request: Request) -> Response:
        seen.append(request)
        answer = {"status": "success", "code": "00", "data": {"tranId": 9876, "totalSMS": 1}}
        return Response(json.dumps(answer), content_type="application/json")

    httpserver.expect_request("/index.php/sms/send", method="POST").respond_with_handler(handler)
    gateway = speedsms(httpserver)
    assert not gateway.deduplicates
    result = gateway.send(sms())
    assert (result.outcome, result.provider_id) == (Outcome.ACCEPTED, "9876")
    assert seen[0].authorization is not None
    assert (seen[0].authorization.username, seen[0].authorization.password) == ("tok-123", "x")
    assert seen[0].get_json()["to"] == ["84912345678"]


@pytest.mark.parametrize(
    ("answer", "outcome", "account"),
    [
        ({"status": "error", "code": "300", "message": "not enough balance"}, Outcome.RETRY, True),
        ({"status": "error", "code": "500", "message": "internal"}, Outcome.RETRY, False),
        ({"status": "error", "code": "110", "message": "encoding"}, Outcome.REJECTED, False),
        (
            {
                "status": "success",
                "code": "00",
                "data": {"tranId": 1, "invalidPhone": ["84912345678"]},
            },
            Outcome.REJECTED,
            False,
        ),
    ],
)
def test_speedsms_errors(
    httpserver: HTTPServer, answer: dict[str, Any], outcome: Outcome, account: bool
) -> None:
    httpserver.expect_request("/index.php/sms/send").respond_with_json(answer)
    result = speedsms(httpserver).send(sms())
    assert (result.outcome, result.account) == (outcome, account)


def test_speedsms_timeout_is_unknown(httpserver: HTTPServer) -> None:
    late = Slow(0.6, {"status": "success", "code": "00", "data": {"tranId": 1}})
    httpserver.expect_request("/index.php/sms/send").respond_with_handler(late)
    assert speedsms(httpserver, TIMEOUT=0.3).send(sms()).outcome == Outcome.UNKNOWN
    late.wait()


def test_speedsms_callback() -> None:
    gateway = make_gateway("speedsms", {"ACCESS_TOKEN": "t"})
    body = json.dumps({"type": "report", "tranId": 9876, "phone": "84912345678", "status": 0})
    report = gateway.parse_callback({}, body.encode(), "application/json").reports[0]
    assert (report.state, report.provider_id) == (ReportState.DELIVERED, "9876")
    assert gateway.parse_callback({}, b"not json", "").reports == []


# --- http-json (SMS Gateway for Android, local mode) -------------------------------------


def android(httpserver: HTTPServer, **extra: Any) -> SmsGateway:
    return make_gateway(
        "http-json",
        {
            "URL": httpserver.url_for("/"),
            "USERNAME": "sms",
            "PASSWORD": "pw-on-phone",
            "TIMEOUT": 0.5,
            **extra,
        },
    )


def test_http_json_sends_and_dedupes_when_the_gateway_does(httpserver: HTTPServer) -> None:
    ids: set[str] = set()

    def handler(request: Request) -> Response:
        body = request.get_json()
        assert request.authorization is not None
        assert request.authorization.password == "pw-on-phone"
        if body["id"] in ids:
            return Response("exists", status=409)
        ids.add(body["id"])
        answer = {"id": body["id"], "state": "Pending", "recipients": []}
        return Response(json.dumps(answer), status=202, content_type="application/json")

    httpserver.expect_request("/message", method="POST").respond_with_handler(handler)
    gateway = android(httpserver, DEDUPLICATES="true")
    first = gateway.send(sms())
    assert (first.outcome, first.provider_id) == (Outcome.ACCEPTED, "ec0123456789abcdef0123")
    assert gateway.send(sms()).outcome == Outcome.ACCEPTED  # 409: already there
    plain = android(httpserver)  # not declared deduplicating: a 409 is not taken as sent
    assert not plain.deduplicates
    assert plain.send(sms()).outcome == Outcome.REJECTED


def test_http_json_errors(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/message").respond_with_data("no", status=401)
    result = android(httpserver).send(sms())
    assert (result.outcome, result.account) == (Outcome.RETRY, True)
    httpserver.clear()
    httpserver.expect_request("/message").respond_with_data("busy", status=503)
    assert android(httpserver).send(sms()).outcome == Outcome.RETRY
    httpserver.clear()  # a 500 may come after the gateway took the message
    httpserver.expect_request("/message").respond_with_data("down", status=500)
    assert android(httpserver).send(sms()).outcome == Outcome.UNKNOWN
    httpserver.clear()
    late = Slow(0.6, {"id": "x"})
    httpserver.expect_request("/message").respond_with_handler(late)
    assert android(httpserver, TIMEOUT=0.3).send(sms()).outcome == Outcome.UNKNOWN
    late.wait()


def test_http_json_webhooks() -> None:
    gateway = make_gateway("http-json", {"URL": "http://127.0.0.1:9"})
    received = {
        "id": "evt-1",
        "event": "sms:received",
        "payload": {
            "message": "C",
            "phoneNumber": "+84912345678",
            "receivedAt": "2026-12-07T08:00:00+07:00",
        },
    }
    inbound = gateway.parse_callback({}, json.dumps(received).encode(), "application/json")
    assert [(m.sender, m.text, m.ref) for m in inbound.incoming] == [("+84912345678", "C", "evt-1")]
    delivered = {
        "event": "sms:delivered",
        "payload": {"messageId": "ec1", "phoneNumber": "+84912345678"},
    }
    report = gateway.parse_callback({}, json.dumps(delivered).encode(), "").reports[0]
    assert (report.state, report.client_id) == (ReportState.DELIVERED, "ec1")
    assert gateway.parse_callback({}, b"[1,2]", "").reports == []


# --- smstools (a GSM modem through its spool folders) ------------------------------------


@pytest.fixture
def spool(tmp_path: Path) -> Path:
    for name in ("outgoing", "checked", "sent", "failed", "incoming"):
        (tmp_path / name).mkdir()
    return tmp_path


def test_smstools_hands_a_file_over_once(spool: Path) -> None:
    gateway = make_gateway("smstools", {"SPOOL": str(spool)})
    result = gateway.send(sms("ecfile1"))
    assert result.outcome == Outcome.ACCEPTED
    written = (spool / "outgoing" / "ecfile1").read_bytes()
    head, _, body = written.partition(b"\n\n")
    assert b"To: 84912345678" in head
    assert b"Alphabet: UCS2" in head
    assert body.decode("utf-16-be") == VIETNAMESE
    (spool / "outgoing" / "ecfile1").rename(spool / "sent" / "ecfile1")  # smstools sent it
    again = gateway.send(sms("ecfile1"))
    assert (again.outcome, again.code) == (Outcome.ACCEPTED, "sent")
    assert not (spool / "outgoing" / "ecfile1").exists()  # not handed over a second time
    plain = gateway.send(
        OutboundSms(
            client_id="ecfile2", to="+84912345678", text="Hop luc 8h", encoding="gsm7", segments=1
        )
    )
    assert plain.outcome == Outcome.ACCEPTED
    assert (spool / "outgoing" / "ecfile2").read_bytes() == b"To: 84912345678\n\nHop luc 8h"


def test_smstools_poll_reads_reports_and_replies(spool: Path) -> None:
    gateway = make_gateway("smstools", {"SPOOL": str(spool)})
    (spool / "sent" / "ecA").write_bytes(
        b"To: 84912345678\nSent: 26-12-07 08:00:01\nMessage_id: 12\n\nHop"
    )
    (spool / "failed" / "ecB").write_bytes(b"To: 84912345679\nFail_reason: No answer\n\nHop")
    (spool / "incoming" / "GSM1.abc").write_bytes(
        b"From: 84912345678\nReceived: 26-12-07 08:05:00\nAlphabet: UCS2\n\n"
        + "Có".encode("utf-16-be")
    )
    polled = gateway.poll()
    assert sorted((r.state, r.client_id) for r in polled.reports) == [
        (ReportState.FAILED, "ecB"),
        (ReportState.SENT, "ecA"),
    ]
    assert [(m.sender, m.text) for m in polled.incoming] == [("84912345678", "Có")]
    assert polled.incoming[0].received_at is not None
    assert polled.incoming[0].received_at.tzinfo is not None
    assert gateway.poll() == polled  # nothing consumed until the relay has committed
    gateway.acknowledge(polled)  # type: ignore[attr-defined]
    assert not (spool / "incoming" / "GSM1.abc").exists()
    assert gateway.poll() == type(polled)()  # each report and reply read once


def test_smstools_needs_its_folders(tmp_path: Path) -> None:
    with pytest.raises(GatewayConfigError, match="ECABINET_SMS_OPTIONS__OUTGOING"):
        make_gateway("smstools", {"SPOOL": str(tmp_path / "nowhere")})


# --- the registry ----------------------------------------------------------------------


def test_unknown_gateway_lists_the_known_ones() -> None:
    with pytest.raises(GatewayConfigError) as error:
        make_gateway("viettel-soap", {})
    message = str(error.value)
    assert "ECABINET_SMS_GATEWAY='viettel-soap'" in message
    for name in ("log", "http-json", "smstools", "esms", "speedsms"):
        assert name in message


def test_missing_option_is_named() -> None:
    with pytest.raises(GatewayConfigError, match="ECABINET_SMS_OPTIONS__API_KEY"):
        make_gateway("esms", {"SECRET_KEY": "s", "BRANDNAME": "B"})
    with pytest.raises(GatewayConfigError, match="ECABINET_SMS_OPTIONS__URL"):
        make_gateway("http-json", {})


def test_secrets_never_described() -> None:
    gateway = make_gateway(
        "esms", {"API_KEY": "key-abc", "SECRET_KEY": "secret-xyz", "BRANDNAME": "TINHUY"}
    )
    described = json.dumps(gateway.describe())
    assert "key-abc" not in described
    assert "secret-xyz" not in described
    assert "TINHUY" in described
    android = make_gateway(
        "http-json",
        {"URL": "http://sms:mat-khau@192.168.1.50:8080", "CALLBACK_URL": "http://x/cb/s3cret"},
    )
    assert "mat-khau" not in json.dumps(android.describe())
    assert "s3cret" not in json.dumps(android.describe())
    assert "192.168.1.50:8080" in json.dumps(android.describe())
    assert "key-abc" not in repr(vars(gateway).get("options", {}).keys())


def test_a_third_party_gateway_plugs_in_by_entry_point(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A package installed beside ours declares `ecabinet.sms_gateways`; no code of ours
    changes. Built for real: a module and its dist-info on sys.path."""
    (tmp_path / "pigeon_sms.py").write_text(
        "from ecabinet.notify.gateways.base import Inbound, Outcome, SendResult\n"
        "class Pigeon:\n"
        "    name = 'pigeon'\n"
        "    deduplicates = False\n"
        "    can_receive = False\n"
        "    def __init__(self, options):\n"
        "        self.loft = options.get('LOFT', 'roof')\n"
        "    def send(self, message):\n"
        "        return SendResult(Outcome.ACCEPTED, provider_id='bird-' + message.client_id)\n"
        "    def parse_callback(self, query, body, content_type):\n"
        "        return Inbound()\n"
        "    def poll(self):\n"
        "        return Inbound()\n"
        "    def describe(self):\n"
        "        return {'loft': self.loft}\n"
    )
    info = tmp_path / "pigeon_sms-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: pigeon-sms\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text("[ecabinet.sms_gateways]\npigeon = pigeon_sms:Pigeon\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "pigeon_sms", raising=False)
    assert "pigeon" in known()
    gateway = make_gateway("pigeon", {"LOFT": "tháp"})
    assert gateway.send(sms("ec9")).provider_id == "bird-ec9"
    assert gateway.describe() == {"loft": "tháp"}


def test_the_log_gateway_keeps_personal_links_out_of_the_log(
    caplog: pytest.LogCaptureFixture,
) -> None:
    gateway = make_gateway("log", {})
    with caplog.at_level("INFO", logger="ecabinet.sms"):
        result = gateway.send(sms(text="Tai lieu: http://10.0.0.5:5000/p/AbCdEfGhIjKlMnOpQrStUv"))
    assert result.outcome == Outcome.ACCEPTED
    assert "AbCdEfGhIjKlMnOpQrStUv" not in caplog.text
    assert "+84912345678" in caplog.text


def test_a_send_must_end_inside_its_jobs_lease(db_url: str, tmp_path: Path) -> None:
    from ecabinet.app import create_app
    from ecabinet.config import ConfigError
    from tests.conftest import app_config

    with pytest.raises(ConfigError, match="ECABINET_SMS_OPTIONS__TIMEOUT=60"):
        create_app(
            app_config(
                db_url,
                tmp_path,
                SMS_GATEWAY="http-json",
                SMS_OPTIONS={"URL": "http://127.0.0.1:9", "TIMEOUT": 60},
                JOB_LEASE_SECONDS=60,
            )
        )
