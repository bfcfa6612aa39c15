"""What a request or socket presented (session, API token, attendee token) → an Actor."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from sqlmodel import Session

from ecabinet.actor import Actor
from ecabinet.auth import service as auth
from ecabinet.pickup import service as pickup


@dataclass(frozen=True, slots=True)
class Credentials:
    kind: Literal["staff", "api", "attendee"]
    user_id: int | None = None
    session_version: int | None = None
    token: str | None = None


def resolve(session: Session, creds: Credentials, *, now: datetime | None = None) -> Actor | None:
    """Re-checked on every request and socket event, so revocation takes effect at once."""
    return resolve_many(session, [creds], now=now).get(creds)


def resolve_many(
    session: Session, many: Iterable[Credentials], *, now: datetime | None = None
) -> dict[Credentials, Actor | None]:
    """Many credentials with one query per kind present, however many there are."""
    many = list(dict.fromkeys(many))
    result: dict[Credentials, Actor | None] = dict.fromkeys(many)
    staff = [c for c in many if c.kind == "staff" and c.user_id is not None]
    # One browser session per (user, version) pair; a user with two versions open is rare.
    versions: dict[int, int] = {}
    for creds in staff:
        if creds.user_id is not None and creds.session_version is not None:
            versions.setdefault(creds.user_id, creds.session_version)
    if versions:
        actors = auth.load_staff_actors(session, versions)
        for creds in staff:
            if creds.user_id is not None and versions.get(creds.user_id) == creds.session_version:
                result[creds] = actors.get(creds.user_id)
            elif creds.user_id is not None and creds.session_version is not None:
                result[creds] = auth.load_staff_actor(
                    session, user_id=creds.user_id, session_version=creds.session_version
                )
    api = [c for c in many if c.kind == "api" and c.token]
    if api:
        tokens = auth.load_token_actors(session, [c.token or "" for c in api], now=now)
        for creds in api:
            result[creds] = tokens.get(creds.token or "")
    attendees = [c for c in many if c.kind == "attendee" and c.token]
    if attendees:
        found = pickup.resolve_tokens(session, [c.token or "" for c in attendees], now=now)
        for creds in attendees:
            result[creds] = found.get(creds.token or "")
    return result
