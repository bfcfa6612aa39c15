"""Which meeting a route's object id belongs to, so access is checked before the body is read."""

from __future__ import annotations

from collections.abc import Callable

from sqlmodel import Session

from ecabinet.agenda.models import AgendaItem
from ecabinet.attendees.models import Attendee
from ecabinet.documents.models import Document
from ecabinet.meetings.models import Meeting


def _meeting(session: Session, meeting_id: int) -> Meeting | None:
    return session.get(Meeting, meeting_id)


def _via(model: type[AgendaItem | Attendee | Document]) -> Callable[[Session, int], Meeting | None]:
    def find(session: Session, object_id: int) -> Meeting | None:
        row = session.get(model, object_id)
        return session.get(Meeting, row.meeting_id) if row is not None else None

    return find


# URL parameter name -> finder of the meeting that owns the object.
OWNERS: dict[str, Callable[[Session, int], Meeting | None]] = {
    "meeting_id": _meeting,
    "item_id": _via(AgendaItem),
    "document_id": _via(Document),
    "attendee_id": _via(Attendee),
}
