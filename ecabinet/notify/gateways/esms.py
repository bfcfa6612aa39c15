"""`esms`: eSMS.vn (brandname customer-care messages), for servers with a route out.

    POST {base}/MainService.svc/json/SendMultipleMessage_V4_post_json/
    {"ApiKey", "SecretKey", "Phone", "Content", "Brandname", "SmsType": "2",
     "IsUnicode": "0"|"1", "Sandbox": "0"|"1", "RequestId", "CallbackUrl"}
    → {"CodeResult": "100", "SMSID": "..."}   100 taken; 124 a RequestId seen before

eSMS refuses a second message with a RequestId it has seen (124), so a message whose first
attempt ended in doubt is safely asked again. Its delivery callback is an HTTP GET with
SMSID, SendStatus (5 sent, 4 refused), RequestId. Options: API_KEY, SECRET_KEY, BRANDNAME
(required), BASE_URL (default https://rest.esms.vn), SANDBOX (default false), CALLBACK_URL,
TIMEOUT.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ecabinet.notify.gateways.base import (
    DeliveryReport,
    Inbound,
    OutboundSms,
    Outcome,
    ReportState,
    SendResult,
    flag,
    http_session,
    option,
    post_json,
    public_options,
    required,
    seconds,
)

PATH = "/MainService.svc/json/SendMultipleMessage_V4_post_json/"
# Codes that say the account, not the message, is the problem: no message passes until an
# operator acts (wrong keys, balance, brandname, address not allowed).
ACCOUNT_CODES = {
    "99": "Lỗi không xác định từ eSMS.",
    "101": "Sai ApiKey hoặc SecretKey của eSMS.",
    "102": "Tài khoản eSMS bị khóa.",
    "103": "Tài khoản eSMS hết tiền.",
    "104": "Brandname chưa được đăng ký hoặc sai.",
    "140": "Địa chỉ máy chủ chưa được eSMS cho phép (IP).",
}
MESSAGE_CODES = {
    "105": "Nội dung tin không hợp lệ.",
    "108": "Số điện thoại không hợp lệ.",
    "118": "Loại tin không hợp lệ.",
    "119": "Brandname quảng cáo phải gửi ít nhất 20 số.",
    "131": "Nội dung tin quá dài.",
    "146": "Nội dung không khớp mẫu chăm sóc khách hàng đã đăng ký.",
}


class EsmsGateway:
    name = "esms"
    deduplicates = True  # RequestId: a repeat gets 124, never a second SMS
    can_receive = False

    def __init__(self, options: Mapping[str, Any]) -> None:
        self.api_key = required(options, self.name, "api_key")
        self.secret_key = required(options, self.name, "secret_key")
        self.brandname = required(options, self.name, "brandname")
        self.base = str(option(options, "base_url", "https://rest.esms.vn")).rstrip("/")
        self.sandbox = flag(options, "sandbox", False)
        self.callback_url = str(option(options, "callback_url", "") or "")
        self.timeout = seconds(options, "timeout", 15.0)
        self.session = http_session()
        self.options = dict(options)

    def send(self, message: OutboundSms) -> SendResult:
        body = {
            "ApiKey": self.api_key,
            "SecretKey": self.secret_key,
            "Phone": "0" + message.to[3:]
            if message.to.startswith("+84")
            else message.to.lstrip("+"),
            "Content": message.text,
            "Brandname": self.brandname,
            "SmsType": "2",
            "IsUnicode": "1" if message.encoding == "ucs2" else "0",
            "Sandbox": "1" if self.sandbox else "0",
            "RequestId": message.client_id,
        }
        if self.callback_url:
            body["CallbackUrl"] = self.callback_url
        data = post_json(
            self.session, self.base + PATH, timeout=self.timeout, provider="eSMS", json=body
        )
        if isinstance(data, SendResult):
            return data
        code = str(data.get("CodeResult", ""))
        provider_id = str(data.get("SMSID") or "") or None
        if code == "100":
            return SendResult(Outcome.ACCEPTED, provider_id=provider_id, code=code)
        if code == "124":  # this RequestId was taken before: the earlier attempt went in
            return SendResult(Outcome.ACCEPTED, provider_id=provider_id, code=code)
        if code in ACCOUNT_CODES:
            return SendResult(Outcome.RETRY, code=code, detail=ACCOUNT_CODES[code], account=True)
        detail = MESSAGE_CODES.get(code, f"eSMS từ chối tin (mã {code}).")
        return SendResult(Outcome.REJECTED, provider_id=provider_id, code=code, detail=detail)

    def parse_callback(self, query: Mapping[str, str], body: bytes, content_type: str) -> Inbound:
        status = str(query.get("SendStatus", ""))
        state = {"5": ReportState.DELIVERED, "4": ReportState.FAILED}.get(status)
        if state is None:
            return Inbound()
        return Inbound(
            reports=[
                DeliveryReport(
                    state,
                    provider_id=query.get("SMSID") or None,
                    client_id=query.get("RequestId") or None,
                    detail="" if state is ReportState.DELIVERED else "Nhà mạng từ chối tin.",
                )
            ]
        )

    def poll(self) -> Inbound:
        return Inbound()

    def describe(self) -> dict[str, str]:
        return public_options(self.options)
