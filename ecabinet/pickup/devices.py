"""Device sessions: what a card's token is exchanged for on the first scan.

The token printed on a card is a bearer secret on paper; keeping it in the tablet (in a
cookie, in the address bar, in history) would make every tablet a copy of the card. So the
first scan checks the token and opens a device session: a new random secret for this browser
only, kept in its HttpOnly session cookie and stored here as a hash. Each device can then be
listed, named and cut off on its own, and reprinting a card (a new token) does not cut off
the tablets already in.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, bindparam
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from ecabinet.actor import Actor
from ecabinet.attendees.models import Attendee
from ecabinet.attendees.service import get_attendee
from ecabinet.auth.service import hash_token
from ecabinet.credentials import Credentials
from ecabinet.db import run
from ecabinet.documents.models import Document
from ecabinet.errors import Invalid, NotFound
from ecabinet.events import AccessRevoked, audit, record
from ecabinet.meetings.models import Confidentiality, Meeting, MeetingStatus
from ecabinet.permissions import Perm
from ecabinet.pickup import codes
from ecabinet.pickup.models import AttendeeToken, DeviceSession, PickupAlert
from ecabinet.timeutil import utcnow

SECRET_BYTES = 32


@dataclass(frozen=True)
class OpenedDevice:
    secret: str  # for the browser's session cookie only; never stored
    device_id: int


@dataclass(frozen=True)
class SecondDevice:
    """Refused: the card's meeting is confidential and another device already holds it."""

    attendee_id: int
    meeting_id: int
    alert_id: int


def card_matching(
    *, token: str = "", code: str = "", code_key: bytes = b""
) -> ColumnElement[bool] | None:
    """The condition that finds a card by its token or by its typed code; None when what was
    given cannot be either (no query is made)."""
    if token:
        return None if len(token) > 100 else col(AttendeeToken.token_hash) == hash_token(token)
    normalised = codes.normalise(code)
    if normalised is None:
        return None
    return col(AttendeeToken.code_hash) == codes.digest(normalised, code_key)


def is_confidential(session: Session, meeting: Meeting) -> bool:
    """Whether the meeting, or any of its documents, is Mật or Tối mật: its cards then bind
    to one device."""
    if meeting.confidentiality != Confidentiality.NORMAL:
        return True
    secret_document = session.exec(
        select(Document.id)
        .where(
            Document.meeting_id == meeting.id,
            Document.confidentiality != Confidentiality.NORMAL,
        )
        .limit(1)
    ).first()
    return secret_document is not None


def open_device(
    session: Session,
    *,
    token: str = "",
    code: str = "",
    code_key: bytes = b"",
    user_agent: str = "",
    address: str = "",
    now: datetime | None = None,
) -> OpenedDevice | SecondDevice | None:
    """Exchange a card (its token, or its typed code) for a new device session; None when the
    card is unknown, expired or revoked (the caller says so without telling which). On a
    confidential meeting the attendee's first device is bound: another is refused, and an
    alert waits for the secretary, who releases the binding by cutting the first one off."""
    now = now or utcnow()
    matching = card_matching(token=token, code=code, code_key=code_key)
    row = None
    if matching is not None:
        row = session.exec(
            select(AttendeeToken, Attendee, Meeting)
            .join(Attendee, col(Attendee.id) == col(AttendeeToken.attendee_id))
            .join(Meeting, col(Meeting.id) == col(Attendee.meeting_id))
            .where(matching)
        ).first()
    via = "mã" if code and not token else "QR"
    if row is None:
        _refused(session, None, None, f"{via}: thẻ không tồn tại", address)
        return None
    card, attendee, meeting = row
    assert card.id is not None
    assert attendee.id is not None
    assert meeting.id is not None
    reason = (
        "thẻ đã bị thu hồi (in lại)"
        if card.revoked_at is not None
        else "thẻ đã hết hạn"
        if card.expires_at <= now
        else "cuộc họp đã lưu trữ"
        if meeting.status == MeetingStatus.ARCHIVED
        else ""
    )
    if reason:
        _refused(session, meeting.id, attendee, f"{via}: {reason}", address)
        return None
    attendee_id, token_id, expires_at = attendee.id, card.id, card.expires_at
    if is_confidential(session, meeting) and _has_live_device(session, attendee_id, now):
        return _refuse_second_device(session, meeting, attendee, user_agent, address, now)
    secret = secrets.token_urlsafe(SECRET_BYTES)
    device = DeviceSession(
        attendee_id=attendee_id,
        secret_hash=hash_token(secret),
        token_id=token_id,
        user_agent=user_agent[:300],
        created_at=now,
        expires_at=expires_at,
    )
    session.add(device)
    session.flush()
    assert device.id is not None
    return OpenedDevice(secret, device.id)


def _has_live_device(session: Session, attendee_id: int, now: datetime) -> bool:
    return (
        session.exec(
            select(DeviceSession.id).where(
                DeviceSession.attendee_id == attendee_id,
                col(DeviceSession.revoked_at).is_(None),
                col(DeviceSession.expires_at) > now,
            )
        ).first()
        is not None
    )


def _refused(
    session: Session, meeting_id: int | None, attendee: Attendee | None, why: str, address: str
) -> None:
    """An audit row for a card that opened nothing (the page tells the person nothing more)."""
    audit(
        session,
        None,
        meeting_id=meeting_id,
        action="pickup.refused",
        subject=f"{attendee.full_name + ': ' if attendee else ''}{why} (từ {address or '?'})",
    )


def _refuse_second_device(
    session: Session,
    meeting: Meeting,
    attendee: Attendee,
    user_agent: str,
    address: str,
    now: datetime,
) -> SecondDevice:
    assert meeting.id is not None
    assert attendee.id is not None
    alert = PickupAlert(
        meeting_id=meeting.id,
        attendee_id=attendee.id,
        user_agent=user_agent[:300],
        address=address[:64],
        created_at=now,
    )
    session.add(alert)
    _refused(session, meeting.id, attendee, "thẻ dùng trên máy thứ hai", address)
    session.flush()
    assert alert.id is not None
    return SecondDevice(attendee.id, meeting.id, alert.id)


# Built once: this runs on every tablet request and socket event (ecabinet.db.run).
def _live_devices() -> Select[*tuple[Any, ...]]:
    return (
        sa_select(
            col(DeviceSession.secret_hash),
            col(DeviceSession.expires_at),
            col(DeviceSession.id),
            col(Attendee.id),
            col(Attendee.meeting_id),
            col(Attendee.full_name),
        )
        .join(Attendee, col(Attendee.id) == col(DeviceSession.attendee_id))
        .join(Meeting, col(Meeting.id) == col(Attendee.meeting_id))
        .where(
            col(DeviceSession.secret_hash).in_(bindparam("hashes", expanding=True)),
            col(DeviceSession.revoked_at).is_(None),
            col(DeviceSession.expires_at) > bindparam("now"),
            col(Meeting.status) != MeetingStatus.ARCHIVED,  # archiving ends delegates' access
        )
    )


_LIVE_DEVICES = _live_devices()


def resolve_devices(
    session: Session, secrets_: list[str], *, now: datetime | None = None
) -> dict[str, Actor | None]:
    """The attendees behind device secrets (None: unknown, cut off or expired)."""
    now = now or utcnow()
    by_hash = {hash_token(raw): raw for raw in secrets_ if raw and len(raw) <= 100}
    result: dict[str, Actor | None] = dict.fromkeys(secrets_)
    if not by_hash:
        return result
    rows = run(session, _LIVE_DEVICES, {"hashes": list(by_hash), "now": now})
    for secret_hash, expires_at, device_id, attendee_id, meeting_id, full_name in rows:
        actor = replace(Actor.attendee(attendee_id, meeting_id, full_name), device_id=device_id)
        result[by_hash[secret_hash]] = actor.until(expires_at)
    return result


def resolve_device_credentials(
    session: Session, many: list[Credentials], now: datetime | None = None
) -> dict[Credentials, Actor | None]:
    actors = resolve_devices(session, [c.token or "" for c in many], now=now)
    return {creds: actors.get(creds.token or "") for creds in many}


@dataclass(frozen=True)
class DeviceView:
    id: int
    name: str
    user_agent: str
    created_at: datetime
    expires_at: datetime
    revoked_at: datetime | None
    active: bool


def list_devices(session: Session, *, actor: Actor, attendee_id: int) -> list[DeviceView]:
    """An attendee's devices, newest first, for those who prepare the meeting."""
    get_attendee(session, actor=actor, attendee_id=attendee_id, perm=Perm.EDIT_MEETING)
    rows = session.exec(
        select(DeviceSession)
        .where(DeviceSession.attendee_id == attendee_id)
        .order_by(col(DeviceSession.id).desc())
    )
    now = utcnow()
    return [view_of(row, now) for row in rows]


def view_of(device: DeviceSession, now: datetime | None = None) -> DeviceView:
    now = now or utcnow()
    return DeviceView(
        id=device.id or 0,
        name=device.name,
        user_agent=device.user_agent,
        created_at=device.created_at,
        expires_at=device.expires_at,
        revoked_at=device.revoked_at,
        active=device.revoked_at is None and device.expires_at > now,
    )


def _device_for_edit(session: Session, actor: Actor, device_id: int) -> DeviceSession:
    device = session.get(DeviceSession, device_id)
    if device is None:
        raise NotFound("Không tìm thấy thiết bị.", code="device_not_found")
    try:
        get_attendee(session, actor=actor, attendee_id=device.attendee_id, perm=Perm.EDIT_MEETING)
    except NotFound:
        raise NotFound("Không tìm thấy thiết bị.", code="device_not_found") from None
    return device


def attendee_of(session: Session, *, actor: Actor, device_id: int) -> int:
    """The attendee a device belongs to, for those who prepare the meeting (404 otherwise)."""
    return _device_for_edit(session, actor, device_id).attendee_id


def rename_device(session: Session, *, actor: Actor, device_id: int, name: str) -> DeviceSession:
    device = _device_for_edit(session, actor, device_id)
    name = " ".join(name.split())
    if len(name) > 100:
        raise Invalid("Tên thiết bị dài tối đa 100 ký tự.", field="name")
    device.name = name
    session.add(device)
    return device


def revoke_device(
    session: Session, *, actor: Actor, device_id: int, now: datetime | None = None
) -> DeviceSession:
    """Cut off one device at once (its open pages and sockets too); the attendee's other
    devices and card keep working."""
    device = _device_for_edit(session, actor, device_id)
    if device.revoked_at is None:
        device.revoked_at = now or utcnow()
        session.add(device)
        attendee = session.get(Attendee, device.attendee_id)
        assert attendee is not None
        audit(
            session,
            actor,
            meeting_id=attendee.meeting_id,
            action="device.revoke",
            subject=f"{attendee.full_name}: {device.name or f'thiết bị {device.id}'}",
        )
        record(
            session,
            AccessRevoked(meeting_id=attendee.meeting_id, attendee_ids=(device.attendee_id,)),
        )
    return device


@dataclass(frozen=True)
class AlertView:
    id: int
    attendee_id: int
    attendee_name: str
    user_agent: str
    address: str
    created_at: datetime


def open_alerts(session: Session, *, meeting_id: int) -> list[AlertView]:
    """A meeting's unresolved alerts, newest first (the caller checked the meeting's
    permission)."""
    rows = session.exec(
        select(PickupAlert, Attendee.full_name)
        .join(Attendee, col(Attendee.id) == col(PickupAlert.attendee_id))
        .where(PickupAlert.meeting_id == meeting_id, col(PickupAlert.resolved_at).is_(None))
        .order_by(col(PickupAlert.id).desc())
    ).all()
    return [
        AlertView(
            id=alert.id or 0,
            attendee_id=alert.attendee_id,
            attendee_name=name,
            user_agent=alert.user_agent,
            address=alert.address,
            created_at=alert.created_at,
        )
        for alert, name in rows
    ]


def alerts_of_attendee(session: Session, *, actor: Actor, attendee_id: int) -> list[AlertView]:
    attendee = get_attendee(session, actor=actor, attendee_id=attendee_id, perm=Perm.EDIT_MEETING)
    return [
        a
        for a in open_alerts(session, meeting_id=attendee.meeting_id)
        if a.attendee_id == attendee_id
    ]


def resolve_alert(
    session: Session, *, actor: Actor, alert_id: int, release: bool, now: datetime | None = None
) -> PickupAlert:
    """Close an alert. With `release`, the attendee's devices are cut off, so the card opens
    on the next device that scans it (a tablet replaced, a browser's cookies cleared); without,
    the refusal stands and the alert is only put away."""
    now = now or utcnow()
    alert = session.get(PickupAlert, alert_id)
    if alert is None:
        raise NotFound("Không tìm thấy cảnh báo.", code="alert_not_found")
    try:
        attendee = get_attendee(
            session, actor=actor, attendee_id=alert.attendee_id, perm=Perm.EDIT_MEETING
        )
    except NotFound:
        raise NotFound("Không tìm thấy cảnh báo.", code="alert_not_found") from None
    if alert.resolved_at is not None:
        return alert
    alert.resolved_at = now
    session.add(alert)
    # Every open alert of this attendee is answered by the same decision.
    for other in session.exec(
        select(PickupAlert).where(
            PickupAlert.attendee_id == alert.attendee_id, col(PickupAlert.resolved_at).is_(None)
        )
    ):
        other.resolved_at = now
        session.add(other)
    if release:
        live = session.exec(
            select(DeviceSession).where(
                DeviceSession.attendee_id == alert.attendee_id,
                col(DeviceSession.revoked_at).is_(None),
            )
        ).all()
        for device in live:
            device.revoked_at = now
            session.add(device)
        record(
            session,
            AccessRevoked(meeting_id=attendee.meeting_id, attendee_ids=(alert.attendee_id,)),
        )
    audit(
        session,
        actor,
        meeting_id=attendee.meeting_id,
        action="device.release" if release else "device.alert_dismiss",
        subject=attendee.full_name,
    )
    return alert
