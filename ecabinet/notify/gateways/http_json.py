"""`http-json`: an SMS gateway on the LAN that takes JSON over HTTP, in the shape of "SMS
Gateway for Android" in local mode (an Android phone with a SIM, no Internet needed).

    POST {url}/message   {"id": client id, "message": text, "phoneNumbers": ["+84..."],
                          "withDeliveryReport": true}
    → 2xx {"id": ..., "state": "Pending" | "Processed" | "Sent" | "Delivered" | "Failed"}

Basic auth (USERNAME, PASSWORD) or a bearer TOKEN. Its webhooks (sms:sent, sms:delivered,
sms:failed, sms:received) come to our callback URL. Options: URL (required), USERNAME,
PASSWORD, TOKEN, TIMEOUT (s, default 10), DEDUPLICATES (default false: say true only when
the gateway refuses a second message with the same id, answering 409).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from ecabinet.notify.gateways.base import (
    DeliveryReport,
    GatewayConfigError,
    Inbound,
    IncomingSms,
    OutboundSms,
    Outcome,
    ReportState,
    SendResult,
    flag,
    http_session,
    option,
    post,
    public_options,
    required,
    seconds,
    status_outcome,
)

_STATES = {
    "sent": ReportState.SENT,
    "delivered": ReportState.DELIVERED,
    "failed": ReportState.FAILED,
}


class HttpJsonGateway:
    name = "http-json"
    can_receive = True

    def __init__(self, options: Mapping[str, Any]) -> None:
        url = required(options, self.name, "url").rstrip("/")
        if not url.startswith(("http://", "https://")):
            raise GatewayConfigError(f"ECABINET_SMS_OPTIONS__URL={url!r}: http:// or https://")
        self.url = url
        self.timeout = seconds(options, "timeout", 10.0)
        self.deduplicates = flag(options, "deduplicates", False)
        user, password = option(options, "username"), option(options, "password")
        token = option(options, "token")
        self.session = http_session()
        if token:
            self.session.headers["Authorization"] = f"Bearer {token}"
        elif user is not None:
            self.session.auth = (str(user), str(password or ""))
        self.options = dict(options)

    def send(self, message: OutboundSms) -> SendResult:
        answer = post(
            self.session,
            f"{self.url}/message",
            timeout=self.timeout,
            json={
                "id": message.client_id,
                "message": message.text,
                "phoneNumbers": [message.to],
                "withDeliveryReport": True,
            },
        )
        if isinstance(answer, SendResult):
            return answer
        decided = status_outcome(answer)
        if decided is not None:
            return decided
        if answer.status_code == 409 and self.deduplicates:
            # The gateway already has a message with this id: the first attempt went in.
            return SendResult(Outcome.ACCEPTED, provider_id=message.client_id, code="409")
        if 200 <= answer.status_code < 300:
            try:
                body = answer.json()
            except ValueError:
                body = {}
            provider_id = (
                str(body.get("id") or message.client_id)
                if isinstance(body, dict)
                else message.client_id
            )
            state = str(body.get("state", "")).lower() if isinstance(body, dict) else ""
            if state == "failed":
                return SendResult(Outcome.REJECTED, provider_id, "failed", "Cổng SMS báo gửi lỗi.")
            return SendResult(
                Outcome.ACCEPTED, provider_id=provider_id, code=str(answer.status_code)
            )
        return SendResult(
            Outcome.REJECTED,
            code=str(answer.status_code),
            detail=f"Cổng SMS từ chối tin (HTTP {answer.status_code}).",
        )

    def parse_callback(self, query: Mapping[str, str], body: bytes, content_type: str) -> Inbound:
        try:
            event = json.loads(body or b"{}")
        except ValueError:
            return Inbound()
        if not isinstance(event, dict) or not isinstance(event.get("payload"), dict):
            return Inbound()
        kind, payload = str(event.get("event", "")), event["payload"]
        if kind == "sms:received":
            received = _when(payload.get("receivedAt"))
            return Inbound(
                incoming=[
                    IncomingSms(
                        sender=str(payload.get("phoneNumber", "")),
                        text=str(payload.get("message", "")),
                        received_at=received,
                        ref=str(event.get("id") or payload.get("messageId") or ""),
                    )
                ]
            )
        state = _STATES.get(kind.removeprefix("sms:"))
        if state is None:
            return Inbound()
        message_id = str(payload.get("messageId") or payload.get("id") or "")
        return Inbound(
            reports=[
                DeliveryReport(
                    state,
                    provider_id=message_id or None,
                    client_id=message_id or None,
                    detail=str(payload.get("reason", "")),
                )
            ]
        )

    def poll(self) -> Inbound:
        return Inbound()

    def describe(self) -> dict[str, str]:
        return public_options(self.options)


def _when(value: object) -> datetime | None:
    try:
        return datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None
