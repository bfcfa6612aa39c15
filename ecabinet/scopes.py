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


def _owner(session: Session, row: AgendaItem | Attendee | Document | None) -> Meeting | None:
    return session.get(Meeting, row.meeting_id) if row is not None else None


def _item(session: Session, item_id: int) -> Meeting | None:
    return _owner(session, session.get(AgendaItem, item_id))


def _document(session: Session, document_id: int) -> Meeting | None:
    return _owner(session, session.get(Document, document_id))


def _attendee(session: Session, attendee_id: int) -> Meeting | None:
    return _owner(session, session.get(Attendee, attendee_id))


# URL parameter name -> finder of the meeting that owns the object.
OWNERS: dict[str, Callable[[Session, int], Meeting | None]] = {
    "meeting_id": _meeting,
    "item_id": _item,
    "document_id": _document,
    "attendee_id": _attendee,
}
