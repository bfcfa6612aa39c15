"""Attendee tokens: issue (shown once), resolve to an Actor, revoke."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Select, bindparam
from sqlalchemy import insert as sa_insert
from sqlalchemy import select as sa_select
from sqlalchemy import update as sa_update
from sqlmodel import Session, col, select

from ecabinet.actor import Actor
from ecabinet.attendees.models import Attendee
from ecabinet.attendees.service import get_attendee
from ecabinet.auth.service import hash_token
from ecabinet.credentials import Credentials
from ecabinet.db import insert_or_ignore, run
from ecabinet.errors import Invalid
from ecabinet.events import AccessRevoked, DomainEvent, audit, record
from ecabinet.meetings import service as meetings
from ecabinet.meetings.events import MeetingRescheduled
from ecabinet.meetings.models import Meeting, MeetingStatus
from ecabinet.permissions import Perm
from ecabinet.pickup import codes
from ecabinet.pickup.models import AttendeeToken, DeviceSession
from ecabinet.timeutil import utcnow

# 128 bits of entropy in 22 URL-safe characters: short enough for a small QR code.
TOKEN_BYTES = 16
CARD, SMS = "card", "sms"  # AttendeeToken.channel
MIN_LIFETIME = timedelta(days=1)  # a card issued after its meeting still opens for a day


@dataclass(frozen=True)
class AccessWindow:
    """How long a card (and the tablets it lets in) keeps working: until a few days after
    the meeting ends, so delegates can reread the documents, then no longer; a meeting with no
    date yet gives `undated_days` from issue. Moving the meeting moves the expiry."""

    days_after_end: int = 3
    undated_days: int = 30

    def expiry(self, meeting: Meeting, now: datetime) -> datetime:
        end = meeting.ends_at or meeting.starts_at
        if end is None:
            return now + timedelta(days=self.undated_days)
        return max(end + timedelta(days=self.days_after_end), now + MIN_LIFETIME)


Lifetime = AccessWindow | timedelta  # a fixed timedelta: tests and tools only


def _expiry(lifetime: Lifetime, meeting: Meeting, now: datetime) -> datetime:
    return now + lifetime if isinstance(lifetime, timedelta) else lifetime.expiry(meeting, now)


@dataclass(frozen=True)
class IssuedToken:
    raw: str
    attendee_id: int
    meeting_id: int
    expires_at: datetime
    code: str = ""  # the typed fallback, "7KQ2M-9XP4H" (shown once, like the token)


def issue_token(
    session: Session,
    *,
    actor: Actor,
    attendee_id: int,
    lifetime: Lifetime,
    code_key: bytes = b"",
    now: datetime | None = None,
) -> IssuedToken:
    """A new card for an attendee: its token and typed code. The attendee's earlier cards
    stop opening; tablets already in keep working (pickup.devices)."""
    attendee = get_attendee(session, actor=actor, attendee_id=attendee_id, perm=Perm.EDIT_MEETING)
    meeting = session.get(Meeting, attendee.meeting_id)
    assert meeting is not None
    now = now or utcnow()
    revoke_tokens(session, attendee_id=attendee_id, now=now, channel=CARD)
    raw = secrets.token_urlsafe(TOKEN_BYTES)
    code = codes.new_code()
    expires_at = _expiry(lifetime, meeting, now)
    session.add(
        AttendeeToken(
            attendee_id=attendee_id,
            token_hash=hash_token(raw),
            code_hash=codes.digest(codes.normalise(code) or "", code_key),
            created_at=now,
            expires_at=expires_at,
        )
    )
    session.flush()
    return IssuedToken(raw, attendee_id, attendee.meeting_id, expires_at, code)


@dataclass(frozen=True)
class IssuedBatch:
    issued: list[IssuedToken]
    skipped: list[int]  # attendees who already had a working link (reissue=False)


def issue_tokens(
    session: Session,
    *,
    actor: Actor,
    meeting_id: int,
    lifetime: Lifetime,
    code_key: bytes = b"",
    attendee_ids: list[int] | None = None,
    reissue: bool = False,
    printed: bool = False,
    now: datetime | None = None,
) -> IssuedBatch:
    """Links for many attendees of one meeting in one transaction (printing a congress's QR
    cards: 50,000 in seconds). Without `reissue`, attendees whose link still works are skipped
    (their raw token cannot be shown again: only its hash is kept); with it, their old links
    stop working and new ones are issued."""
    meeting = meetings.load_meeting(
        session, actor=actor, meeting_id=meeting_id, perm=Perm.EDIT_MEETING
    )
    meetings.require_editable(meeting)
    now = now or utcnow()
    everyone = session.exec(
        select(Attendee.id).where(Attendee.meeting_id == meeting_id).order_by(col(Attendee.id))
    ).all()
    members = {i for i in everyone if i is not None}
    if attendee_ids is None:
        wanted = sorted(members)
    else:
        wanted = sorted(set(attendee_ids))
        if not set(wanted) <= members:
            raise Invalid(
                "Có đại biểu không thuộc cuộc họp này.",
                code="attendee_not_found",
                field="attendee_ids",
            )
    live = set(
        session.exec(
            select(AttendeeToken.attendee_id)
            .join(Attendee, col(Attendee.id) == col(AttendeeToken.attendee_id))
            .where(
                Attendee.meeting_id == meeting_id,
                AttendeeToken.channel == CARD,
                col(AttendeeToken.revoked_at).is_(None),
                col(AttendeeToken.expires_at) > now,
            )
        ).all()
    )
    skipped = [] if reissue else [i for i in wanted if i in live]
    targets = [i for i in wanted if reissue or i not in live]
    replaced = [i for i in targets if i in live]
    for start in range(0, len(replaced), 900):  # bound the IN list (SQLite's variable limit)
        session.execute(
            sa_update(AttendeeToken)
            .where(
                col(AttendeeToken.attendee_id).in_(replaced[start : start + 900]),
                col(AttendeeToken.channel) == CARD,
                col(AttendeeToken.revoked_at).is_(None),
            )
            .values(revoked_at=now)
        )
    if replaced:
        record(session, AccessRevoked(meeting_id=meeting_id, attendee_ids=tuple(replaced)))
    expires_at = _expiry(lifetime, meeting, now)
    issued = [
        IssuedToken(
            secrets.token_urlsafe(TOKEN_BYTES),
            attendee_id,
            meeting_id,
            expires_at,
            codes.new_code(),
        )
        for attendee_id in targets
    ]
    rows = [
        {
            "attendee_id": token.attendee_id,
            "token_hash": hash_token(token.raw),
            "code_hash": codes.digest(codes.normalise(token.code) or "", code_key),
            "printed": printed,
            "created_at": now,
            "expires_at": token.expires_at,
        }
        for token in issued
    ]
    for start in range(0, len(rows), 5000):
        session.execute(sa_insert(AttendeeToken), rows[start : start + 5000])
    session.flush()
    if issued:
        audit(
            session,
            actor,
            meeting_id=meeting_id,
            action="links.issue",
            subject=f"{len(issued)} liên kết",
            changes={"count": ("", len(issued))},
        )
    return IssuedBatch(issued, skipped)


def add_sms_links(
    session: Session,
    *,
    meeting: Meeting,
    links: Sequence[tuple[int, str]],
    lifetime: Lifetime,
    now: datetime | None = None,
) -> None:
    """Links sent in SMS invitations, (attendee id, raw token) pairs: kept hashed like cards
    and expiring with the meeting; a new card leaves them working. The raw tokens are made
    again at sending time by notify.links from a secret the database does not hold, so adding
    the same one twice is one row."""
    if not links:
        return
    now = now or utcnow()
    expires_at = _expiry(lifetime, meeting, now)
    rows = [
        {
            "attendee_id": attendee_id,
            "token_hash": hash_token(raw),
            "code_hash": None,
            "printed": False,
            "channel": SMS,
            "created_at": now,
            "expires_at": expires_at,
        }
        for attendee_id, raw in links
    ]
    for start in range(0, len(rows), 5000):
        session.execute(
            insert_or_ignore(session, AttendeeToken).on_conflict_do_nothing(
                index_elements=["token_hash"]
            ),
            rows[start : start + 5000],
        )


def revoke_tokens(
    session: Session, *, attendee_id: int, now: datetime | None = None, channel: str | None = None
) -> int:
    """Stop an attendee's links opening: all of them, or those of one channel."""
    now = now or utcnow()
    query = select(AttendeeToken).where(
        AttendeeToken.attendee_id == attendee_id,
        AttendeeToken.revoked_at == None,  # noqa: E711  (SQL IS NULL)
    )
    if channel is not None:
        query = query.where(AttendeeToken.channel == channel)
    tokens = session.exec(query).all()
    for token in tokens:
        token.revoked_at = now
        session.add(token)
    session.flush()
    if tokens:
        attendee = session.get(Attendee, attendee_id)
        meeting_id = attendee.meeting_id if attendee is not None else None
        record(session, AccessRevoked(meeting_id=meeting_id, attendee_ids=(attendee_id,)))
    return len(tokens)


def resolve_token(session: Session, *, raw: str, now: datetime | None = None) -> Actor | None:
    """The attendee behind a raw token, or None if unknown, expired or revoked."""
    return resolve_tokens(session, [raw], now=now).get(raw)


# Built once: this runs on every tablet request and socket event (ecabinet.db.run).
def _live_tokens(match: ColumnElement[bool]) -> Select[*tuple[Any, ...]]:
    return (
        sa_select(
            col(AttendeeToken.token_hash),
            col(AttendeeToken.expires_at),
            col(Attendee.id),
            col(Attendee.meeting_id),
            col(Attendee.full_name),
        )
        .join(Attendee, col(Attendee.id) == col(AttendeeToken.attendee_id))
        .join(Meeting, col(Meeting.id) == col(Attendee.meeting_id))
        .where(
            match,
            col(AttendeeToken.revoked_at).is_(None),
            col(AttendeeToken.expires_at) > bindparam("now"),
            col(Meeting.status) != MeetingStatus.ARCHIVED,  # archiving ends delegates' links
        )
    )


_LIVE_TOKENS = _live_tokens(col(AttendeeToken.token_hash).in_(bindparam("hashes", expanding=True)))
_LIVE_TOKEN = _live_tokens(col(AttendeeToken.token_hash) == bindparam("hash"))


def resolve_tokens(
    session: Session, raws: list[str], *, now: datetime | None = None
) -> dict[str, Actor | None]:
    """Many raw tokens in one query (the revocation sweep re-checks all it affects at once)."""
    now = now or utcnow()
    by_hash = {hash_token(raw): raw for raw in raws if raw and len(raw) <= 100}
    result: dict[str, Actor | None] = dict.fromkeys(raws)
    if not by_hash:
        return result
    rows = (
        run(session, _LIVE_TOKEN, {"hash": next(iter(by_hash)), "now": now})
        if len(by_hash) == 1  # every request and event: no IN list to expand per call
        else run(session, _LIVE_TOKENS, {"hashes": list(by_hash), "now": now})
    )
    for token_hash, expires_at, attendee_id, meeting_id, full_name in rows:
        actor = Actor.attendee(attendee_id, meeting_id, full_name)
        result[by_hash[token_hash]] = actor.until(expires_at)
    return result


def resolve_attendee_credentials(
    session: Session, many: list[Credentials], now: datetime | None = None
) -> dict[Credentials, Actor | None]:
    actors = resolve_tokens(session, [c.token or "" for c in many], now=now)
    return {creds: actors.get(creds.token or "") for creds in many}


def follow_meeting_times(
    session: Session, *, meeting_id: int, window: AccessWindow, now: datetime | None = None
) -> int:
    """The meeting moved: its working cards and tablets now expire by the new date (later or
    earlier). Returns how many rows moved."""
    meeting = session.get(Meeting, meeting_id)
    if meeting is None:
        return 0
    now = now or utcnow()
    expires_at = window.expiry(meeting, now)
    attendees_of_meeting = sa_select(col(Attendee.id)).where(col(Attendee.meeting_id) == meeting_id)
    moved = 0
    for model in (AttendeeToken, DeviceSession):
        result = session.execute(
            sa_update(model)
            .where(
                col(model.attendee_id).in_(attendees_of_meeting),
                col(model.revoked_at).is_(None),
                col(model.expires_at) > now,
            )
            .values(expires_at=expires_at)
        )
        moved += result.rowcount  # type: ignore[attr-defined]
    return moved


def cards_follow_meeting_times(
    window: AccessWindow,
) -> Callable[[Session, Sequence[DomainEvent]], None]:
    """An in-transaction subscriber: a rescheduled meeting moves its cards' expiry."""

    def follow(session: Session, events: Sequence[DomainEvent]) -> None:
        moved = {e.meeting_id for e in events if isinstance(e, MeetingRescheduled)}
        for meeting_id in sorted(moved):
            follow_meeting_times(session, meeting_id=meeting_id, window=window)

    return follow
