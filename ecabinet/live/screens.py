"""Room screens: paired once by a short code, then a revocable credential of their own.

A display in the meeting room opens /screen with no login. It gets a random secret (kept in
its session cookie, stored here as a hash) and a six-digit code it shows in large type. The
chair or a secretary of the meeting types that code on the console: the screen is paired to
that meeting and from then on sees what the room sees (agenda, current item, timer,
announcement), never a document, until it is revoked or its meeting is archived or deleted.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete
from sqlmodel import Session, col, select

from ecabinet.actor import Actor
from ecabinet.auth.service import hash_token
from ecabinet.credentials import Credentials
from ecabinet.errors import Conflict, Invalid, NotFound
from ecabinet.events import AccessRevoked, audit, record
from ecabinet.live.models import RoomScreen
from ecabinet.meetings import service as meetings
from ecabinet.meetings.models import Meeting, MeetingStatus
from ecabinet.permissions import Perm
from ecabinet.timeutil import utcnow

CODE_LIFETIME = timedelta(minutes=15)  # long enough to walk to the console and type it
PAIRED_LIFETIME = timedelta(days=30)  # a screen left paired forgets its meeting after this
CODE_DIGITS = 6
NAME_MAX = 100


@dataclass(frozen=True)
class PendingScreen:
    secret: str  # for the screen's session cookie only; never stored
    code: str
    expires_at: datetime


@dataclass(frozen=True)
class ScreenView:
    id: int
    name: str
    paired_at: datetime | None
    expires_at: datetime | None
    revoked_at: datetime | None
    active: bool


def _new_code(session: Session, now: datetime) -> str:
    """Six digits no other screen is showing right now."""
    for _ in range(20):
        code = f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"
        taken = session.exec(
            select(RoomScreen.id).where(
                col(RoomScreen.pair_code) == code, col(RoomScreen.code_expires_at) > now
            )
        ).first()
        if taken is None:
            return code
    raise Conflict(  # a million codes, 15 minutes each: only a flood gets here
        "Có quá nhiều màn hình đang chờ ghép nối. Vui lòng thử lại sau ít phút.",
        code="too_many_pending_screens",
    )


def start_pairing(session: Session, *, now: datetime | None = None) -> PendingScreen:
    """A new screen waiting to be paired. Screens that waited too long are swept here, so
    anonymous visits to /screen cannot fill the table (they are also rate-limited)."""
    now = now or utcnow()
    session.execute(
        delete(RoomScreen).where(
            col(RoomScreen.meeting_id).is_(None), col(RoomScreen.code_expires_at) <= now
        )
    )
    secret = secrets.token_urlsafe(32)
    code = _new_code(session, now)
    session.add(
        RoomScreen(
            secret_hash=hash_token(secret),
            pair_code=code,
            code_expires_at=now + CODE_LIFETIME,
            created_at=now,
        )
    )
    session.flush()
    return PendingScreen(secret, code, now + CODE_LIFETIME)


@dataclass(frozen=True)
class ScreenStatus:
    paired: bool
    code: str | None  # still waiting: the code to show
    expired: bool  # waited too long (or revoked): start again


def screen_status(session: Session, secret: str, *, now: datetime | None = None) -> ScreenStatus:
    """What the screen holding `secret` should show: its code, or the room once paired."""
    now = now or utcnow()
    row = session.exec(
        select(RoomScreen).where(col(RoomScreen.secret_hash) == hash_token(secret))
    ).first()
    if row is None or row.revoked_at is not None:
        return ScreenStatus(False, None, True)
    if row.meeting_id is not None:
        return ScreenStatus(row.expires_at is None or row.expires_at > now, None, False)
    if row.code_expires_at <= now:
        return ScreenStatus(False, None, True)
    return ScreenStatus(False, row.pair_code, False)


def normalise_code(code: str) -> str | None:
    digits = "".join(ch for ch in code if not ch.isspace() and ch != "-")
    return digits if len(digits) == CODE_DIGITS and digits.isascii() and digits.isdigit() else None


def pair_screen(
    session: Session, *, actor: Actor, meeting_id: int, code: str, name: str = ""
) -> ScreenView:
    """Pair the screen showing `code` to the meeting (its chair or a secretary)."""
    meeting = meetings.load_meeting(
        session, actor=actor, meeting_id=meeting_id, perm=Perm.CONTROL_LIVE
    )
    if meeting.status == MeetingStatus.ARCHIVED:
        raise Conflict("Cuộc họp đã lưu trữ.", code="meeting_archived")
    normalised = normalise_code(code)
    now = utcnow()
    row = (
        session.exec(
            select(RoomScreen).where(
                col(RoomScreen.pair_code) == normalised,
                col(RoomScreen.meeting_id).is_(None),
                col(RoomScreen.code_expires_at) > now,
            )
        ).first()
        if normalised
        else None
    )
    if row is None:
        raise Invalid(
            "Mã ghép nối không đúng hoặc đã hết hạn. Hãy xem lại mã trên màn hình.",
            code="screen_code_invalid",
            field="code",
        )
    name = " ".join(name.split())[:NAME_MAX] or f"Màn hình {now.strftime('%H:%M')}"
    row.meeting_id = meeting_id
    row.pair_code = None
    row.name = name
    row.paired_by_id = actor.user_id
    row.paired_at = now
    row.expires_at = now + PAIRED_LIFETIME
    session.add(row)
    audit(session, actor, meeting_id=meeting_id, action="screen.pair", subject=name)
    session.flush()
    return _view(row, now)


def list_screens(session: Session, *, actor: Actor, meeting_id: int) -> list[ScreenView]:
    meetings.load_meeting(session, actor=actor, meeting_id=meeting_id, perm=Perm.CONTROL_LIVE)
    now = utcnow()
    rows = session.exec(
        select(RoomScreen)
        .where(col(RoomScreen.meeting_id) == meeting_id)
        .order_by(col(RoomScreen.id).desc())
    )
    return [_view(row, now) for row in rows]


def revoke_screen(session: Session, *, actor: Actor, screen_id: int) -> ScreenView:
    """Cut a screen off: its socket is closed within a second (AccessRevoked → sweep)."""
    row = session.get(RoomScreen, screen_id)
    if row is None or row.meeting_id is None:
        raise NotFound("Không tìm thấy màn hình.", code="screen_not_found")
    try:
        meetings.load_meeting(
            session, actor=actor, meeting_id=row.meeting_id, perm=Perm.CONTROL_LIVE
        )
    except NotFound:
        raise NotFound("Không tìm thấy màn hình.", code="screen_not_found") from None
    now = utcnow()
    if row.revoked_at is None:
        row.revoked_at = now
        session.add(row)
        audit(session, actor, meeting_id=row.meeting_id, action="screen.revoke", subject=row.name)
        # Named by meeting alone: every connection in its room is checked again.
        record(session, AccessRevoked(meeting_id=row.meeting_id))
    return _view(row, now)


def _view(row: RoomScreen, now: datetime) -> ScreenView:
    active = row.revoked_at is None and (row.expires_at is None or row.expires_at > now)
    return ScreenView(
        id=row.id or 0,
        name=row.name,
        paired_at=row.paired_at,
        expires_at=row.expires_at,
        revoked_at=row.revoked_at,
        active=active,
    )


def resolve_screen_credentials(
    session: Session, many: list[Credentials], now: datetime | None = None
) -> dict[Credentials, Actor | None]:
    """Paired, not revoked, not expired, and its meeting not archived: one query for all."""
    now = now or utcnow()
    by_hash = {hash_token(c.token or ""): c for c in many}
    found: dict[Credentials, Actor | None] = dict.fromkeys(many)
    rows = session.exec(
        select(RoomScreen, Meeting.status)
        .join(Meeting, col(Meeting.id) == col(RoomScreen.meeting_id))
        .where(col(RoomScreen.secret_hash).in_(list(by_hash)))
    )
    for row, status in rows:
        if row.revoked_at is not None or status == MeetingStatus.ARCHIVED:
            continue
        if row.expires_at is None or row.expires_at <= now or row.meeting_id is None:
            continue
        actor = Actor.screen(row.id or 0, row.meeting_id, row.name).until(row.expires_at)
        found[by_hash[row.secret_hash]] = actor
    return found
