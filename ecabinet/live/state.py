"""The wire format of a meeting's live state: one snapshot, documented in docs/realtime.md."""

from __future__ import annotations

from typing import TypedDict

from sqlmodel import Session

from ecabinet.agenda.service import list_items
from ecabinet.documents.models import DocumentStatus
from ecabinet.documents.service import list_documents
from ecabinet.meetings.models import Meeting

DOCUMENT_URL = "/documents/{id}/file"


class ItemState(TypedDict):
    id: int
    position: int
    title: str
    presenter: str
    duration_minutes: int | None


class DocumentState(TypedDict):
    id: int
    title: str
    agenda_item_id: int | None
    page_count: int
    size: int
    url: str


class MeetingState(TypedDict):
    meeting_id: int
    version: int
    title: str
    location: str
    starts_at: str | None
    status: str
    current_item_id: int | None
    items: list[ItemState]
    documents: list[DocumentState]


def snapshot(session: Session, meeting_id: int) -> MeetingState | None:
    """Everything a tablet or room screen shows, at the meeting's current version."""
    meeting = session.get(Meeting, meeting_id)
    if meeting is None:
        return None
    session.refresh(meeting)
    return {
        "meeting_id": meeting_id,
        "version": meeting.version,
        "title": meeting.title,
        "location": meeting.location,
        "starts_at": meeting.starts_at.isoformat().replace("+00:00", "Z")
        if meeting.starts_at
        else None,
        "status": meeting.status,
        "current_item_id": meeting.current_item_id,
        "items": [
            {
                "id": item.id or 0,
                "position": item.position,
                "title": item.title,
                "presenter": item.presenter,
                "duration_minutes": item.duration_minutes,
            }
            for item in list_items(session, meeting_id)
        ],
        "documents": [
            {
                "id": doc.id or 0,
                "title": doc.title,
                "agenda_item_id": doc.agenda_item_id,
                "page_count": doc.page_count,
                "size": doc.size,
                "url": DOCUMENT_URL.format(id=doc.id),
            }
            for doc in list_documents(session, meeting_id)
            if doc.status == DocumentStatus.READY
        ],
    }
