"""Attendee tokens: issue (shown once), resolve to an Actor, revoke."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session, select

from ecabinet.actor import Actor
from ecabinet.attendees.models import Attendee
from ecabinet.attendees.service import get_attendee
from ecabinet.auth.permissions import Perm
from ecabinet.auth.service import hash_token
from ecabinet.db import mark_access_changed
from ecabinet.meetings.models import Meeting
from ecabinet.pickup.models import AttendeeToken
from ecabinet.timeutil import utcnow

# 128 bits of entropy in 22 URL-safe characters: short enough for a small QR code.
TOKEN_BYTES = 16


@dataclass(frozen=True)
class IssuedToken:
    raw: str
    attendee_id: int
    meeting_id: int
    expires_at: datetime


def issue_token(
    session: Session,
    *,
    actor: Actor,
    attendee_id: int,
    ttl: timedelta,
    now: datetime | None = None,
) -> IssuedToken:
    """A new link for an attendee. Earlier links of that attendee stop working."""
    attendee = get_attendee(session, actor=actor, attendee_id=attendee_id, perm=Perm.EDIT_MEETING)
    now = now or utcnow()
    revoke_tokens(session, attendee_id=attendee_id, now=now)
    raw = secrets.token_urlsafe(TOKEN_BYTES)
    session.add(
        AttendeeToken(
            attendee_id=attendee_id,
            token_hash=hash_token(raw),
            created_at=now,
            expires_at=now + ttl,
        )
    )
    session.flush()
    return IssuedToken(raw, attendee_id, attendee.meeting_id, now + ttl)


def revoke_tokens(session: Session, *, attendee_id: int, now: datetime | None = None) -> int:
    now = now or utcnow()
    tokens = session.exec(
        select(AttendeeToken).where(
            AttendeeToken.attendee_id == attendee_id,
            AttendeeToken.revoked_at == None,  # noqa: E711  (SQL IS NULL)
        )
    ).all()
    for token in tokens:
        token.revoked_at = now
        session.add(token)
    session.flush()
    if tokens:
        mark_access_changed(session)
    return len(tokens)


def resolve_token(session: Session, *, raw: str, now: datetime | None = None) -> Actor | None:
    """The attendee behind a raw token, or None if unknown, expired or revoked."""
    if not raw or len(raw) > 100:
        return None
    now = now or utcnow()
    token = session.exec(
        select(AttendeeToken).where(AttendeeToken.token_hash == hash_token(raw))
    ).first()
    if token is None or token.revoked_at is not None or token.expires_at <= now:
        return None
    attendee = session.get(Attendee, token.attendee_id)
    if attendee is None or session.get(Meeting, attendee.meeting_id) is None:
        return None
    assert attendee.id is not None
    return Actor.attendee(attendee.id, attendee.meeting_id, attendee.full_name).until(
        token.expires_at
    )
