"""`speedsms`: SpeedSMS.vn, for servers with a route out.

    POST {base}/index.php/sms/send   HTTP Basic (ACCESS_TOKEN, "x")
    {"to": ["84..."], "content": text, "sms_type": 2|3|4|5, "sender": brandname}
    → {"status": "success", "code": "00", "data": {"tranId": ...}}
      {"status": "error", "code": "300", "message": "..."}

SpeedSMS has no client message id: a request whose answer is lost may have sent the SMS, so
such a message is marked unknown for the secretary to check, never sent again blindly.
Delivery reports are POSTed as JSON {"type": "report", "tranId", "phone", "status"} (0 is
delivered). Options: ACCESS_TOKEN (required), SMS_TYPE (default 2), SENDER (the brandname
for type 3), BASE_URL (default https://api.speedsms.vn), TIMEOUT.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from ecabinet.notify.gateways.base import (
    DeliveryReport,
    GatewayConfigError,
    Inbound,
    OutboundSms,
    Outcome,
    ReportState,
    SendResult,
    http_session,
    option,
    post_json,
    public_options,
    required,
    seconds,
)

ACCOUNT_CODES = {
    "007": "Địa chỉ máy chủ bị SpeedSMS khóa (IP).",
    "008": "Tài khoản SpeedSMS bị khóa.",
    "009": "Tài khoản SpeedSMS chưa được phép gọi API.",
    "101": "Thông tin đăng nhập SpeedSMS không đúng.",
    "300": "Tài khoản SpeedSMS hết tiền.",
}
MESSAGE_CODES = {
    "105": "Số điện thoại không hợp lệ.",
    "110": "SpeedSMS không nhận tin có dấu với loại tin này: bật 'không dấu'.",
    "113": "Tin quá dài với loại tin này.",
}


class SpeedSmsGateway:
    name = "speedsms"
    deduplicates = False
    can_receive = False

    def __init__(self, options: Mapping[str, Any]) -> None:
        self.token = required(options, self.name, "access_token")
        try:
            self.sms_type = int(option(options, "sms_type", 2))
        except (TypeError, ValueError):
            self.sms_type = 0
        if self.sms_type not in (2, 3, 4, 5):
            raise GatewayConfigError("ECABINET_SMS_OPTIONS__SMS_TYPE: 2, 3, 4 or 5")
        self.sender = str(option(options, "sender", "") or "")
        if self.sms_type == 3 and not self.sender:
            raise GatewayConfigError("ECABINET_SMS_OPTIONS__SENDER: type 3 needs the brandname")
        self.base = str(option(options, "base_url", "https://api.speedsms.vn")).rstrip("/")
        self.timeout = seconds(options, "timeout", 15.0)
        self.session = http_session()
        self.session.auth = (self.token, "x")
        self.options = dict(options)

    def send(self, message: OutboundSms) -> SendResult:
        data = post_json(
            self.session,
            f"{self.base}/index.php/sms/send",
            timeout=self.timeout,
            provider="SpeedSMS",
            json={
                "to": [message.to.lstrip("+")],
                "content": message.text,
                "sms_type": self.sms_type,
                "sender": self.sender,
            },
        )
        if isinstance(data, SendResult):
            return data
        code = str(data.get("code", ""))
        if data.get("status") == "success" and code == "00":
            inner = data.get("data") if isinstance(data.get("data"), dict) else {}
            invalid = inner.get("invalidPhone") or [] if isinstance(inner, dict) else []
            if invalid:
                return SendResult(
                    Outcome.REJECTED, code="invalidPhone", detail=MESSAGE_CODES["105"]
                )
            tran = inner.get("tranId") if isinstance(inner, dict) else None
            return SendResult(Outcome.ACCEPTED, provider_id=str(tran) if tran else None, code=code)
        if code == "500":
            return SendResult(Outcome.RETRY, code=code, detail="SpeedSMS tạm thời lỗi.")
        if code in ACCOUNT_CODES:
            return SendResult(Outcome.RETRY, code=code, detail=ACCOUNT_CODES[code], account=True)
        detail = MESSAGE_CODES.get(code, f"SpeedSMS từ chối tin (mã {code}).")
        return SendResult(Outcome.REJECTED, code=code, detail=detail)

    def parse_callback(self, query: Mapping[str, str], body: bytes, content_type: str) -> Inbound:
        try:
            event = json.loads(body or b"{}")
        except ValueError:
            return Inbound()
        if not isinstance(event, dict) or event.get("type") != "report":
            return Inbound()
        status = str(event.get("status", ""))
        state = ReportState.DELIVERED if status == "0" else ReportState.FAILED
        return Inbound(
            reports=[
                DeliveryReport(
                    state,
                    provider_id=str(event.get("tranId") or "") or None,
                    detail="" if state is ReportState.DELIVERED else f"Mã {status}",
                )
            ]
        )

    def poll(self) -> Inbound:
        return Inbound()

    def describe(self) -> dict[str, str]:
        return public_options(self.options)
