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
from datetime import datetime
from typing import Any, NotRequired, TypedDict, cast

from sqlalchemy import bindparam, select
from sqlmodel import Session, col

from ecabinet.actor import Actor
from ecabinet.agenda.models import AgendaItem
from ecabinet.agenda.numbering import number_items
from ecabinet.db import run
from ecabinet.documents.access import is_secret, level_of
from ecabinet.documents.models import Audience, Document, DocumentStatus
from ecabinet.documents.office import EXTENSIONS, PDF
from ecabinet.documents.service import audiences
from ecabinet.meetings.models import Meeting, MeetingStatus
from ecabinet.timeutil import utcnow

SCREEN_VIEW = "screen"  # a room screen: the room, no documents
DOCUMENT_URL = "/documents/{id}/file"
CACHE_URL = "/documents/{id}/v/{sha256}"
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
    spent_seconds: int  # closed stretches; the running one is in the state's timer


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
    # The same PDF at an address naming its content (immutable, cached for a year), for
    # reading ahead; None for Mật / Tối mật documents (never kept on a tablet) and files
    # that are not PDFs.
    cache_url: str | None
    restricted: NotRequired[bool]  # staff views only: for chosen attendees, not everyone


class TimerState(TypedDict):
    """The current item's clock. Elapsed seconds = spent_seconds, plus, while running_since
    is set, the time since then (epoch milliseconds, the server's clock: a client compares it
    with server_time, never with its own clock)."""

    item_id: int
    spent_seconds: int
    running_since: int | None
    planned_seconds: int | None


class PresentingState(TypedDict):
    document_id: int
    page: int


class MeetingState(TypedDict):
    meeting_id: int
    version: int
    title: str
    location: str
    starts_at: str | None
    status: str
    current_item_id: int | None
    paused: bool
    timer: TimerState | None
    announcement: str
    presenting: PresentingState | None  # only for viewers who may read that document
    items: list[ItemState]
    documents: list[DocumentState]
    server_time: NotRequired[int]  # epoch ms when this copy was sent (pushes, acks, pages)


@dataclass(frozen=True)
class SharedDocument:
    state: DocumentState
    audience: frozenset[int] | None  # None: every attendee


# The meeting columns the live controls write (live.service); the shared state's live
# fields are computed from them (live_fields), so a step can be applied to a cached state.
LIVE_COLUMNS = frozenset(
    {
        "status",
        "current_item_id",
        "paused_at",
        "item_started_at",
        "announcement",
        "presenting_document_id",
        "presenting_page",
    }
)


def epoch_ms(moment: datetime | None) -> int | None:
    return None if moment is None else int(moment.timestamp() * 1000)


def live_fields(live: Mapping[str, Any], items: list[ItemState]) -> dict[str, Any]:
    """The shared state's live part, from the meeting's live columns and its agenda."""
    current = live["current_item_id"]
    timer: TimerState | None = None
    if live["status"] == MeetingStatus.LIVE and current is not None:
        item = next((i for i in items if i["id"] == current), None)
        if item is not None:
            planned = item["duration_minutes"]
            timer = {
                "item_id": current,
                "spent_seconds": item["spent_seconds"],
                "running_since": epoch_ms(live["item_started_at"]),
                "planned_seconds": planned * 60 if planned else None,
            }
    presenting: PresentingState | None = None
    if live["presenting_document_id"] is not None:
        presenting = {
            "document_id": live["presenting_document_id"],
            "page": live["presenting_page"] or 1,
        }
    return {
        "status": live["status"],
        "current_item_id": current,
        "paused": live["paused_at"] is not None,
        "timer": timer,
        "announcement": live["announcement"],
        "presenting": presenting,
    }


@dataclass(frozen=True)
class Snapshot:
    meeting_id: int
    shared: MeetingState  # with no documents
    documents: tuple[SharedDocument, ...]
    live: Mapping[str, Any]  # the meeting's LIVE_COLUMNS, as stored

    def view_of(self, actor_attendee_id: int | None, *, screen: bool = False) -> Hashable:
        """The group a viewer belongs to: staff, a room screen, or (for an attendee) the
        chosen documents they get."""
        if screen:
            return SCREEN_VIEW
        if actor_attendee_id is None:
            return STAFF_VIEW
        return frozenset(
            d.state["id"]
            for d in self.documents
            if d.audience is not None and actor_attendee_id in d.audience
        )

    def for_view(self, view: Hashable) -> MeetingState:
        """One group's copy, stamped with the server's time (clients time the clock by it)."""
        if view == STAFF_VIEW:
            documents = [{**d.state, "restricted": d.audience is not None} for d in self.documents]
        elif view == SCREEN_VIEW:
            documents = []
        else:
            assert isinstance(view, frozenset)
            documents = [
                dict(d.state) for d in self.documents if d.audience is None or d.state["id"] in view
            ]
        state = {**self.shared, "documents": documents, "server_time": epoch_ms(utcnow())}
        presenting = self.shared["presenting"]
        if presenting is not None and not any(
            d["id"] == presenting["document_id"] for d in documents
        ):
            state["presenting"] = None  # a document this viewer may not read is not named
        return state  # type: ignore[return-value]

    def for_actor(self, actor: Actor) -> MeetingState:
        if actor.is_screen:
            return self.for_view(SCREEN_VIEW)
        if actor.is_staff:
            return self.for_view(STAFF_VIEW)
        assert actor.attendee_id is not None  # nobody else gets this far
        return self.for_view(self.view_of(actor.attendee_id))


# Built once: the snapshot is read on every push (ecabinet.db.run).
_ITEMS = (
    select(
        col(AgendaItem.id),
        col(AgendaItem.parent_id),
        col(AgendaItem.position),
        col(AgendaItem.title),
        col(AgendaItem.presenter),
        col(AgendaItem.duration_minutes),
        col(AgendaItem.spent_seconds),
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
        col(Document.sha256),
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
    rows = run(session, _ITEMS, by_meeting).all()
    numbers = number_items(rows)
    items: list[ItemState] = [
        {
            "id": row.id,
            "parent_id": row.parent_id,
            "position": row.position,
            "number": numbers[row.id].number,
            "label": numbers[row.id].label,
            "title": row.title,
            "presenter": row.presenter,
            "duration_minutes": row.duration_minutes,
            "spent_seconds": row.spent_seconds,
        }
        for row in rows
    ]
    live = {name: getattr(meeting, name) for name in LIVE_COLUMNS}
    shared = cast(
        MeetingState,
        {
            "meeting_id": meeting_id,
            "version": meeting.version,
            "title": meeting.title,
            "location": meeting.location,
            "starts_at": meeting.starts_at.isoformat().replace("+00:00", "Z")
            if meeting.starts_at
            else None,
            **live_fields(live, items),
            "items": items,
            "documents": [],
        },
    )
    documents = _documents(session, meeting_id, meeting.confidentiality)
    return Snapshot(meeting_id, shared, documents, live)


def _documents(session: Session, meeting_id: int, meeting_level: str) -> tuple[SharedDocument, ...]:
    rows = run(session, _READY_DOCUMENTS, {"meeting_id": meeting_id}).all()
    # Who each restricted document is for: read only when some document is restricted.
    chosen = (
        audiences(session, meeting_id) if any(row.audience != Audience.ALL for row in rows) else {}
    )

    def cache_url(row: Any, level: str) -> str | None:
        readable = row.pdf_sha256 or (row.sha256 if row.content_type == PDF else None)
        if readable is None or is_secret(level):
            return None
        return CACHE_URL.format(id=row.id, sha256=readable)

    return tuple(
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
                "confidentiality": level_of(row.confidentiality, meeting_level),
                "url": DOCUMENT_URL.format(id=row.id),
                "cache_url": cache_url(row, level_of(row.confidentiality, meeting_level)),
            },
            None if row.audience == Audience.ALL else chosen.get(row.id, frozenset()),
        )
        for row in rows
    )


def advanced(
    previous: Snapshot,
    version: int,
    only: Mapping[str, Any],
    item_changes: Mapping[int, Mapping[str, Any]] | None = None,
) -> Snapshot | None:
    """The next version's snapshot, when that version changed nothing but live columns of
    the meeting (and the spent time of an item): the chair's step pushes without reading the
    agenda and documents again. None when it cannot be told from `previous` alone."""
    if previous.shared["version"] != version - 1 or not set(only) <= LIVE_COLUMNS:
        return None
    items = previous.shared["items"]
    if item_changes:
        if any(set(changes) - {"spent_seconds"} for changes in item_changes.values()):
            return None
        items = [
            cast(ItemState, {**item, **item_changes[item["id"]]})
            if item["id"] in item_changes
            else item
            for item in items
        ]
    live = {**previous.live, **only}
    shared = {
        **previous.shared,
        **live_fields(live, items),
        "items": items,
        "version": version,
    }
    return Snapshot(previous.meeting_id, shared, previous.documents, live)  # type: ignore[arg-type]


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
