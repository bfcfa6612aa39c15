"""`log`: the default gateway. Records each message in the log and as sent; reaches no phone.
For demos and for agencies with no SMS route yet: the outbox, previews and statuses all work."""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from typing import Any

from ecabinet.notify.gateways.base import Inbound, OutboundSms, Outcome, SendResult

log = logging.getLogger("ecabinet.sms")
# A personal pickup link opens a delegate's meeting: it stays out of the log.
_LINK = re.compile(r"/p/[A-Za-z0-9_-]{16,}")


class LogGateway:
    name = "log"
    deduplicates = True  # nothing leaves the server: sending twice reaches nobody twice
    can_receive = False

    def __init__(self, options: Mapping[str, Any]) -> None:
        self.options = dict(options)

    def send(self, message: OutboundSms) -> SendResult:
        log.info(
            "SMS (log only, not sent) to %s, %s, %d segment(s): %s",
            message.to,
            message.encoding,
            message.segments,
            _LINK.sub("/p/[liên kết riêng]", message.text),
        )
        return SendResult(Outcome.ACCEPTED, provider_id=f"log-{message.client_id}")

    def parse_callback(self, query: Mapping[str, str], body: bytes, content_type: str) -> Inbound:
        return Inbound()

    def poll(self) -> Inbound:
        return Inbound()

    def describe(self) -> dict[str, str]:
        return {"ghi chú": "chỉ ghi nhật ký, không gửi tin thật"}
