"""The meeting that owns the object a URL's item_id names."""

from __future__ import annotations

from sqlmodel import Session

from ecabinet.agenda.models import AgendaItem
from ecabinet.meetings.models import Meeting
from ecabinet.scopes import Scopes


def _owner(session: Session, object_id: int) -> Meeting | None:
    row = session.get(AgendaItem, object_id)
    return session.get(Meeting, row.meeting_id) if row is not None else None


def register_scopes(scopes: Scopes) -> None:
    scopes.register("item_id", _owner)
