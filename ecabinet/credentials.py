"""What a request or socket presented (session, API token, attendee token) → an Actor."""

from __future__ import annotations

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
    if creds.kind == "staff" and creds.user_id is not None and creds.session_version is not None:
        return auth.load_staff_actor(
            session, user_id=creds.user_id, session_version=creds.session_version
        )
    if creds.kind == "api" and creds.token:
        return auth.load_token_actor(session, raw=creds.token, now=now)
    if creds.kind == "attendee" and creds.token:
        return pickup.resolve_token(session, raw=creds.token, now=now)
    return None
