"""The contract between the outbox and an SMS gateway: one message, one attempt, and an
honest answer about what happened to it.

A gateway never retries inside send(): the relay decides, from the outcome, whether to try
again later (RETRY: the request certainly did not reach the provider, or the provider said
so), give up (REJECTED), or mark the message UNKNOWN (the request may have been taken: a
timeout after sending). Only a gateway that `deduplicates` by our client id may be asked
again after that; for the others an unknown message waits for a person.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any, Protocol, runtime_checkable

import requests
from urllib3.exceptions import NameResolutionError, NewConnectionError

from ecabinet.notify.encoding import Encoding


class GatewayConfigError(ValueError):
    """A gateway's name or options are wrong: the message says which and what to do."""


class Outcome(StrEnum):
    ACCEPTED = "accepted"  # the provider took it (sent or queued on its side)
    REJECTED = "rejected"  # it never will be sent (bad number, content refused)
    RETRY = "retry"  # it certainly was not taken: try again later
    UNKNOWN = "unknown"  # it may have been taken (timeout after sending)


@dataclass(frozen=True)
class OutboundSms:
    client_id: str  # our id for the message, stored before the first attempt
    to: str  # E.164, "+84912345678"; adapters reformat for their provider
    text: str
    encoding: Encoding
    segments: int


@dataclass(frozen=True)
class SendResult:
    outcome: Outcome
    provider_id: str | None = None
    code: str = ""  # the provider's own code, kept for the record
    detail: str = ""  # what a secretary can read (never a secret)
    # An account-level refusal (balance, credentials, address not allowed): nothing will go
    # through until an operator acts, so the relay waits longest before the next try.
    account: bool = False


class ReportState(StrEnum):
    SENT = "sent"
    DELIVERED = "delivered"
    FAILED = "failed"


@dataclass(frozen=True)
class DeliveryReport:
    state: ReportState
    provider_id: str | None = None
    client_id: str | None = None
    detail: str = ""
    ref: str = ""  # the gateway's own handle on the report (a spool file), for acknowledge()


@dataclass(frozen=True)
class IncomingSms:
    sender: str  # as the gateway gave it; the outbox normalises it
    text: str
    received_at: datetime | None = None
    ref: str = ""  # the gateway's own id for it, when it has one (duplicates are dropped)


@dataclass(frozen=True)
class Inbound:
    """What a callback or a poll brought: delivery reports and replies."""

    reports: list[DeliveryReport] = field(default_factory=list)
    incoming: list[IncomingSms] = field(default_factory=list)


@runtime_checkable
class SmsGateway(Protocol):
    name: str
    deduplicates: bool  # a second send with the same client id never reaches a phone twice
    can_receive: bool  # replies from delegates arrive through it (callback or poll)

    def send(self, message: OutboundSms) -> SendResult:
        """One attempt, no retries inside."""
        ...

    def parse_callback(self, query: Mapping[str, str], body: bytes, content_type: str) -> Inbound:
        """A request the provider sent to our callback URL."""
        ...

    def poll(self) -> Inbound:
        """Reports and replies fetched on our initiative (a spool folder, a status API).
        A gateway whose poll consumes something may define `acknowledge(inbound)`, called
        once what the poll brought is committed, to consume it then."""
        ...

    def describe(self) -> dict[str, str]:
        """The options a page may show: never a key, token or password."""
        ...


SECRET_WORDS = ("key", "secret", "token", "password", "pass", "auth")


def public_options(options: Mapping[str, Any]) -> dict[str, str]:
    """Options with anything that looks like a credential masked: secret-sounding names,
    callback URLs (their path is our secret) and the user:password part of a URL."""
    shown = {}
    for name, value in sorted(options.items()):
        lowered = name.lower()
        if any(word in lowered for word in SECRET_WORDS) or "callback" in lowered:
            shown[name] = "••••"
        else:
            shown[name] = re.sub(r"(?<=://)[^/@\s]+@", "••••@", str(value))
    return shown


def option(options: Mapping[str, Any], name: str, default: Any = None) -> Any:
    """An option by name, whatever case the environment gave it in."""
    for key, value in options.items():
        if key.lower() == name:
            return value
    return default


def required(options: Mapping[str, Any], gateway: str, name: str) -> str:
    value = option(options, name)
    if value is None or str(value) == "":
        raise GatewayConfigError(
            f"ECABINET_SMS_OPTIONS__{name.upper()}: the {gateway} gateway needs it"
        )
    return str(value)


def flag(options: Mapping[str, Any], name: str, default: bool) -> bool:
    value = option(options, name, default)
    if isinstance(value, bool):
        return value
    if str(value).lower() in ("1", "true", "yes"):
        return True
    if str(value).lower() in ("0", "false", "no"):
        return False
    raise GatewayConfigError(f"ECABINET_SMS_OPTIONS__{name.upper()}={value!r}: true or false")


def seconds(options: Mapping[str, Any], name: str, default: float) -> float:
    value = option(options, name, default)
    try:
        number = float(value)
    except (TypeError, ValueError):
        number = -1
    if not 0 < number <= 120:
        raise GatewayConfigError(
            f"ECABINET_SMS_OPTIONS__{name.upper()}={value!r}: seconds, more than 0, at most 120"
        )
    return number


def post(
    session: requests.Session, url: str, *, timeout: float, **kwargs: Any
) -> requests.Response | SendResult:
    """One HTTP request, its failure classified: RETRY when the request cannot have reached
    the provider (connection refused, name not found, connect timeout), UNKNOWN when it may
    have (a read timeout, a connection dropped after sending)."""
    try:
        return session.post(url, timeout=(min(timeout, 5.0), timeout), **kwargs)
    except requests.ConnectTimeout:
        return SendResult(Outcome.RETRY, detail="Không kết nối được tới cổng SMS (quá giờ).")
    except requests.exceptions.SSLError:  # the handshake failed: nothing was sent
        return SendResult(Outcome.RETRY, detail="Không lập được kết nối an toàn tới cổng SMS.")
    except (requests.exceptions.ChunkedEncodingError, requests.exceptions.ContentDecodingError):
        # The answer broke off while being read: the request had been taken.
        return SendResult(Outcome.UNKNOWN, detail="Câu trả lời của cổng SMS bị ngắt giữa chừng.")
    except requests.ConnectionError as exc:
        reason = getattr(exc.args[0], "reason", None) if exc.args else None
        if isinstance(reason, NewConnectionError | NameResolutionError):
            return SendResult(Outcome.RETRY, detail="Không kết nối được tới cổng SMS.")
        return SendResult(Outcome.UNKNOWN, detail="Mất kết nối sau khi đã gửi yêu cầu.")
    except requests.Timeout:
        return SendResult(Outcome.UNKNOWN, detail="Cổng SMS không trả lời kịp sau khi nhận.")
    except requests.RequestException as exc:  # an invalid URL, a redirect loop
        return SendResult(Outcome.RETRY, detail=f"Lỗi gọi cổng SMS: {type(exc).__name__}.")


def status_outcome(response: requests.Response) -> SendResult | None:
    """The outcome an HTTP status alone decides (None: read the body). 429 and 503 say "not
    now" before taking anything; another 5xx (a 500, a proxy's 502 or 504) may come after
    the provider took the message, so it is unknown (asked again only where that is safe)."""
    if response.status_code in (429, 503):
        return SendResult(
            Outcome.RETRY,
            code=str(response.status_code),
            detail=f"Cổng SMS tạm thời từ chối (HTTP {response.status_code}).",
        )
    if response.status_code >= 500:
        return SendResult(
            Outcome.UNKNOWN,
            code=str(response.status_code),
            detail=f"Cổng SMS lỗi (HTTP {response.status_code}) sau khi nhận yêu cầu.",
        )
    if response.status_code in (401, 403):
        return SendResult(
            Outcome.RETRY,
            code=str(response.status_code),
            detail="Cổng SMS từ chối thông tin đăng nhập: kiểm tra cấu hình.",
            account=True,
        )
    return None


def post_json(
    session: requests.Session, url: str, *, timeout: float, provider: str, **kwargs: Any
) -> dict[str, Any] | SendResult:
    """post(), then the status, then the JSON object a provider answers with; a SendResult
    wherever one of them already decides."""
    answer = post(session, url, timeout=timeout, **kwargs)
    if isinstance(answer, SendResult):
        return answer
    decided = status_outcome(answer)
    if decided is not None:
        return decided
    try:
        data = answer.json()
    except ValueError:
        data = None
    if not isinstance(data, dict):
        return SendResult(Outcome.UNKNOWN, detail=f"{provider} trả lời không đọc được.")
    return data


def http_session() -> requests.Session:
    """A session that never reads proxy settings or .netrc from the environment: the gateway
    URL is exactly the one configured (a LAN phone must not go through a corporate proxy)."""
    session = requests.Session()
    session.trust_env = False
    return session
