"""The meeting a URL's meeting_id names (the HTTP layer checks access before the body)."""

from __future__ import annotations

from sqlmodel import Session

from ecabinet.meetings.service import MeetingRow, meeting_row
from ecabinet.scopes import Scopes


def _meeting(session: Session, meeting_id: int) -> MeetingRow | None:
    return meeting_row(session, meeting_id)


def register_scopes(scopes: Scopes) -> None:
    scopes.register("meeting_id", _meeting)
