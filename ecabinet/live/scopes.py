"""The meeting that owns the object a URL's screen_id names."""

from __future__ import annotations

from sqlmodel import Session

from ecabinet.live.models import RoomScreen
from ecabinet.meetings.models import Meeting
from ecabinet.scopes import Scopes


def _owner(session: Session, object_id: int) -> Meeting | None:
    row = session.get(RoomScreen, object_id)
    if row is None or row.meeting_id is None:
        return None
    return session.get(Meeting, row.meeting_id)


def register_scopes(scopes: Scopes) -> None:
    scopes.register("screen_id", _owner)
