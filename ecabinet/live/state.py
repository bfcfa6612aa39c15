"""The wire format of a meeting's live state, per viewer: documented in docs/realtime.md.

A `Snapshot` is read once per change: the meeting's shared state (title, status, agenda,
current item) and its ready documents with who each is for. `for_actor` projects it for one
viewer; `view_of` names the group of viewers who see exactly the same state, so a push is
encoded once per group, not once per socket.
"""

from __future__ import annotations

import threading
from collections.abc import Hashable, Mapping
from dataclasses import dataclass
from typing import Any, NotRequired, TypedDict

from sqlalchemy import bindparam, select
from sqlmodel import Session, col

from ecabinet.actor import Actor
from ecabinet.agenda.models import AgendaItem
from ecabinet.agenda.numbering import number_items
from ecabinet.db import run
from ecabinet.documents.access import level_of
from ecabinet.documents.models import Audience, Document, DocumentStatus
from ecabinet.documents.office import EXTENSIONS, PDF
from ecabinet.documents.service import audiences
from ecabinet.meetings.models import Meeting

DOCUMENT_URL = "/documents/{id}/file"
STAFF_VIEW = "staff"


class ItemState(TypedDict):
    id: int
    parent_id: int | None  # a sub-item's top-level item
    position: int
    number: str  # as printed in the list: "II" (top level), "1" (sub-item)
    label: str  # on its own: "II", "II.1"
    title: str
    presenter: str
    duration_minutes: int | None


class DocumentState(TypedDict):
    id: int
    title: str
    agenda_item_id: int | None
    page_count: int
    size: int
    revision: int  # the current revision: a new one replaces the file at the same url
    kind: str  # pdf, docx, xlsx: what was uploaded
    viewable: bool  # url serves a PDF to read on the tablet (else: the file, to download)
    confidentiality: str  # normal, mat, toi_mat: the higher of the document's and meeting's
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


# Built once: the snapshot is read on every push (ecabinet.db.run).
_ITEMS = (
    select(
        col(AgendaItem.id),
        col(AgendaItem.parent_id),
        col(AgendaItem.position),
        col(AgendaItem.title),
        col(AgendaItem.presenter),
        col(AgendaItem.duration_minutes),
    )
    .where(col(AgendaItem.meeting_id) == bindparam("meeting_id"))
    .order_by(col(AgendaItem.position), col(AgendaItem.id))
)
_READY_DOCUMENTS = (
    select(
        col(Document.id),
        col(Document.title),
        col(Document.agenda_item_id),
        col(Document.page_count),
        col(Document.size),
        col(Document.revision),
        col(Document.content_type),
        col(Document.pdf_sha256),
        col(Document.confidentiality),
        col(Document.audience),
    )
    .where(
        col(Document.meeting_id) == bindparam("meeting_id"),
        col(Document.status) == DocumentStatus.READY,
    )
    .order_by(col(Document.created_at), col(Document.id))
)


def snapshot(session: Session, meeting_id: int) -> Snapshot | None:
    """Everything tablets and room screens show, at the meeting's current version."""
    # The identity map's copy is current: touch() keeps its version in step with the row.
    meeting = session.get(Meeting, meeting_id)
    if meeting is None:
        return None
    by_meeting = {"meeting_id": meeting_id}
    items = run(session, _ITEMS, by_meeting).all()
    numbers = number_items(items)
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
                "id": row.id,
                "parent_id": row.parent_id,
                "position": row.position,
                "number": numbers[row.id].number,
                "label": numbers[row.id].label,
                "title": row.title,
                "presenter": row.presenter,
                "duration_minutes": row.duration_minutes,
            }
            for row in items
        ],
        "documents": [],
    }
    rows = run(session, _READY_DOCUMENTS, by_meeting).all()
    # Who each restricted document is for: read only when some document is restricted.
    chosen = (
        audiences(session, meeting_id) if any(row.audience != Audience.ALL for row in rows) else {}
    )
    documents = tuple(
        SharedDocument(
            {
                "id": row.id,
                "title": row.title,
                "agenda_item_id": row.agenda_item_id,
                "page_count": row.page_count,
                "size": row.size,
                "revision": row.revision,
                "kind": EXTENSIONS.get(row.content_type, ".pdf")[1:],
                "viewable": row.content_type == PDF or bool(row.pdf_sha256),
                "confidentiality": level_of(row.confidentiality, meeting.confidentiality),
                "url": DOCUMENT_URL.format(id=row.id),
            },
            None if row.audience == Audience.ALL else chosen.get(row.id, frozenset()),
        )
        for row in rows
    )
    return Snapshot(meeting_id, shared, documents)


# Meeting columns that appear as such in the shared state (the live controls change these).
LIVE_COLUMNS = frozenset({"status", "current_item_id"})


def advanced(previous: Snapshot, version: int, only: Mapping[str, Any]) -> Snapshot | None:
    """The next version's snapshot, when that version changed nothing but live columns of
    the meeting: the chair's step pushes without reading the agenda and documents again.
    None when it cannot be told from `previous` alone."""
    if previous.shared["version"] != version - 1 or not set(only) <= LIVE_COLUMNS:
        return None
    shared = {**previous.shared, **only, "version": version}
    return Snapshot(previous.meeting_id, shared, previous.documents)  # type: ignore[arg-type]


class SnapshotCache:
    """The latest snapshot of each meeting, by version. A version names one committed state
    (every visible change bumps it), so a join or sync at the version of the last push reuses
    that push's snapshot instead of reading the agenda and documents again."""

    def __init__(self, meetings: int = 256) -> None:
        self.meetings = meetings
        self._latest: dict[int, Snapshot] = {}
        self._lock = threading.Lock()

    def get(self, meeting_id: int, version: int) -> Snapshot | None:
        found = self._latest.get(meeting_id)
        return found if found is not None and found.shared["version"] == version else None

    def put(self, current: Snapshot) -> None:
        with self._lock:
            known = self._latest.get(current.meeting_id)
            if known is not None and known.shared["version"] > current.shared["version"]:
                return  # a later version is already here (two commits pushed out of order)
            self._latest.pop(current.meeting_id, None)
            self._latest[current.meeting_id] = current
            while len(self._latest) > self.meetings:
                del self._latest[next(iter(self._latest))]


_VERSION = select(col(Meeting.version)).where(col(Meeting.id) == bindparam("meeting_id"))


def state_for(
    session: Session, meeting_id: int, actor: Actor, cache: SnapshotCache | None = None
) -> MeetingState | None:
    """One viewer's state (join and sync acks, the HTTP snapshot, the pages). With a cache,
    one small read names the current version, and a cached snapshot at that version is used."""
    current = None
    if cache is not None:
        version = run(session, _VERSION, {"meeting_id": meeting_id}).scalar_one_or_none()
        if version is None:
            return None
        current = cache.get(meeting_id, version)
    if current is None:
        current = snapshot(session, meeting_id)
        if current is not None and cache is not None:
            cache.put(current)
    return current.for_actor(actor) if current is not None else None
