"""The wire format of a meeting's live state, per viewer: documented in docs/realtime.md.

A `Snapshot` is read once per change: the meeting's shared state (title, status, agenda,
current item) and its ready documents with who each is for. `for_actor` projects it for one
viewer; `view_of` names the group of viewers who see exactly the same state, so a push is
encoded once per group, not once per socket.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass
from typing import NotRequired, TypedDict

from sqlmodel import Session

from ecabinet.actor import Actor
from ecabinet.agenda.service import list_items
from ecabinet.documents.models import Audience, DocumentStatus
from ecabinet.documents.service import audiences, list_documents
from ecabinet.meetings.models import Meeting

DOCUMENT_URL = "/documents/{id}/file"
STAFF_VIEW = "staff"


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
    restricted: NotRequired[bool]  # staff views only: for chosen attendees, not everyone


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


@dataclass(frozen=True)
class SharedDocument:
    state: DocumentState
    audience: frozenset[int] | None  # None: every attendee


@dataclass(frozen=True)
class Snapshot:
    meeting_id: int
    shared: MeetingState  # with no documents
    documents: tuple[SharedDocument, ...]

    def view_of(self, actor_attendee_id: int | None) -> Hashable:
        """The group a viewer belongs to: staff, or the chosen documents an attendee gets."""
        if actor_attendee_id is None:
            return STAFF_VIEW
        return frozenset(
            d.state["id"]
            for d in self.documents
            if d.audience is not None and actor_attendee_id in d.audience
        )

    def for_view(self, view: Hashable) -> MeetingState:
        if view == STAFF_VIEW:
            documents = [{**d.state, "restricted": d.audience is not None} for d in self.documents]
        else:
            assert isinstance(view, frozenset)
            documents = [
                dict(d.state) for d in self.documents if d.audience is None or d.state["id"] in view
            ]
        return {**self.shared, "documents": documents}  # type: ignore[typeddict-item]

    def for_actor(self, actor: Actor) -> MeetingState:
        return self.for_view(self.view_of(None if actor.is_staff else actor.attendee_id))


def snapshot(session: Session, meeting_id: int) -> Snapshot | None:
    """Everything tablets and room screens show, at the meeting's current version."""
    meeting = session.get(Meeting, meeting_id)
    if meeting is None:
        return None
    session.refresh(meeting)
    shared: MeetingState = {
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
        "documents": [],
    }
    chosen = audiences(session, meeting_id)
    documents = tuple(
        SharedDocument(
            {
                "id": doc.id or 0,
                "title": doc.title,
                "agenda_item_id": doc.agenda_item_id,
                "page_count": doc.page_count,
                "size": doc.size,
                "url": DOCUMENT_URL.format(id=doc.id),
            },
            None if doc.audience == Audience.ALL else chosen.get(doc.id or 0, frozenset()),
        )
        for doc in list_documents(session, meeting_id)
        if doc.status == DocumentStatus.READY
    )
    return Snapshot(meeting_id, shared, documents)


def state_for(session: Session, meeting_id: int, actor: Actor) -> MeetingState | None:
    """One viewer's state (join and sync acks, the HTTP snapshot, the pages)."""
    current = snapshot(session, meeting_id)
    return current.for_actor(actor) if current is not None else None
