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
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, bindparam
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from ecabinet.actor import Actor
from ecabinet.attendees.models import Attendee
from ecabinet.attendees.service import get_attendee
from ecabinet.auth.service import hash_token
from ecabinet.credentials import Credentials
from ecabinet.db import run
from ecabinet.errors import Invalid, NotFound
from ecabinet.events import AccessRevoked, audit, record
from ecabinet.meetings.models import Meeting, MeetingStatus
from ecabinet.permissions import Perm
from ecabinet.pickup.models import AttendeeToken, DeviceSession
from ecabinet.timeutil import utcnow

SECRET_BYTES = 32


@dataclass(frozen=True)
class OpenedDevice:
    secret: str  # for the browser's session cookie only; never stored
    device_id: int


def open_device(
    session: Session, *, token: str, user_agent: str = "", now: datetime | None = None
) -> OpenedDevice | None:
    """Exchange a card's token for a new device session; None when the token is unknown,
    expired or revoked (the caller says so without telling which)."""
    now = now or utcnow()
    if not token or len(token) > 100:
        return None
    row = session.exec(
        select(AttendeeToken.id, AttendeeToken.attendee_id, AttendeeToken.expires_at)
        .join(Attendee, col(Attendee.id) == col(AttendeeToken.attendee_id))
        .join(Meeting, col(Meeting.id) == col(Attendee.meeting_id))
        .where(
            AttendeeToken.token_hash == hash_token(token),
            col(AttendeeToken.revoked_at).is_(None),
            col(AttendeeToken.expires_at) > now,
            col(Meeting.status) != MeetingStatus.ARCHIVED,
        )
    ).first()
    if row is None:
        return None
    token_id, attendee_id, expires_at = row
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


# Built once: this runs on every tablet request and socket event (ecabinet.db.run).
def _live_devices() -> Select[*tuple[Any, ...]]:
    return (
        sa_select(
            col(DeviceSession.secret_hash),
            col(DeviceSession.expires_at),
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
    for secret_hash, expires_at, attendee_id, meeting_id, full_name in rows:
        actor = Actor.attendee(attendee_id, meeting_id, full_name)
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
