"""Building attendee links: the configured public URL, or a host from the allow-list.

A link printed on a card or a QR code must point at this server whoever asked for it; the
request's Host header is chosen by the client, so it is used only when it names a host the
operator listed (PUBLIC_HOSTS) or this machine itself (loopback: a local demo)."""

from __future__ import annotations

import ipaddress

from flask import Response, current_app, request, url_for

from ecabinet.actor import Actor
from ecabinet.errors import Conflict
from ecabinet.meetings import service as meetings
from ecabinet.offload import off_hub
from ecabinet.permissions import Perm
from ecabinet.pickup import codes, service, status
from ecabinet.web import actor_or_401, database


def public_url(path: str) -> str:
    return public_base() + path


def public_base() -> str:
    """Where tablets reach this server; refuses rather than trust an unknown Host header."""
    configured = str(current_app.config["PUBLIC_URL"]).rstrip("/")
    if configured:
        return configured
    host = request.host.lower()
    allowed = {h.lower().rstrip("/") for h in current_app.config["PUBLIC_HOSTS"]}
    if host in allowed or _hostname(host) in allowed or _is_loopback(_hostname(host)):
        return request.host_url.rstrip("/")
    raise Conflict(
        f"Chưa cấu hình địa chỉ công khai nên không thể tạo liên kết với tên máy “{host[:80]}”. "
        "Quản trị viên cần đặt ECABINET_PUBLIC_URL (ví dụ http://192.168.1.10:5000) "
        "hoặc thêm tên máy này vào ECABINET_PUBLIC_HOSTS.",
        code="public_url_not_set",
    )


def _hostname(host: str) -> str:
    if host.startswith("["):  # [::1]:5000
        return host[1:].partition("]")[0]
    return host.rpartition(":")[0] if host.count(":") == 1 else host


def _is_loopback(hostname: str) -> bool:
    if hostname == "localhost":
        return True
    try:
        return ipaddress.ip_address(hostname).is_loopback
    except ValueError:
        return False


def access_window() -> service.AccessWindow:
    return service.AccessWindow(
        days_after_end=int(current_app.config["PICKUP_DAYS_AFTER_MEETING"]),
        undated_days=int(current_app.config["ATTENDEE_TOKEN_DAYS"]),
    )


def code_key() -> bytes:
    """The key typed codes are hashed with: derived from the app's secret key, which the
    database does not hold (pickup.codes)."""
    return codes.key_from_secret(str(current_app.config["SECRET_KEY"]))


def issue_link(actor: Actor, attendee_id: int) -> tuple[service.IssuedToken, str, str]:
    """Issue a token and return it with the tablet link and the QR image URL."""
    base = public_base()  # refuse before anything is revoked or issued
    with database().unit_of_work() as db_session:
        issued = service.issue_token(
            db_session,
            actor=actor,
            attendee_id=attendee_id,
            lifetime=access_window(),
            code_key=code_key(),
        )
    link = base + url_for("pickup.enter", token=issued.raw)
    qr_url = url_for("pickup.qr", token=issued.raw)
    return issued, link, qr_url


def issue_links(
    actor: Actor, meeting_id: int, attendee_ids: list[int] | None, *, reissue: bool
) -> tuple[service.IssuedBatch, str]:
    """Issue many tokens; returns them with the public base their links start with."""
    base = public_base()  # refuse before anything is revoked or issued
    with database().unit_of_work() as db_session:
        batch = service.issue_tokens(
            db_session,
            actor=actor,
            meeting_id=meeting_id,
            lifetime=access_window(),
            code_key=code_key(),
            attendee_ids=attendee_ids,
            reissue=reissue,
        )
    return batch, base


def pickup_workbook(meeting_id: int) -> Response:
    """The pickup status of every attendee as an XLSX workbook (built off the hub)."""
    actor = actor_or_401()
    with database().unit_of_work(write=False) as db_session:
        meeting = meetings.load_meeting(
            db_session, actor=actor, meeting_id=meeting_id, perm=Perm.EDIT_MEETING
        )
        found = status.pickup_status(db_session, actor=actor, meeting_id=meeting_id)
        title = f"Tình hình nhận tài liệu: {meeting.title}"
    body = off_hub(
        status.status_xlsx, found, title=title, timezone=str(current_app.config["TIMEZONE"])
    )
    response = Response(
        body, mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    response.headers["Content-Disposition"] = (
        f"attachment; filename=nhan-tai-lieu-{meeting_id}.xlsx"
    )
    response.headers["Cache-Control"] = "no-store"
    return response
