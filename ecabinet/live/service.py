"""The live meeting: start, pause, move the current item, timers, the announcement, presenter
mode, end. The only writer of the meeting's live columns and of agenda items' spent time.

Timers are stored as times, not counters: the current item's clock is `item_started_at`
(None while paused), and each item keeps the seconds of its closed stretches in
`spent_seconds`. A restart of the server therefore loses nothing, and every client computes
the running time from the same two numbers.
"""

from __future__ import annotations

import math
from dataclasses import replace
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, select, update
from sqlmodel import Session, col

from ecabinet.actor import Actor
from ecabinet.agenda.models import AgendaItem
from ecabinet.agenda.service import item_ids
from ecabinet.db import run
from ecabinet.documents.models import Document, DocumentStatus
from ecabinet.documents.office import PDF
from ecabinet.errors import Conflict, Invalid, NotFound
from ecabinet.meetings import service as meetings
from ecabinet.meetings.models import MeetingStatus
from ecabinet.meetings.service import MeetingRow
from ecabinet.permissions import Perm
from ecabinet.timeutil import utcnow

ANNOUNCEMENT_MAX = 500

_ADD_SPENT = (
    update(AgendaItem)
    .where(
        col(AgendaItem.id) == bindparam("item"),
        col(AgendaItem.meeting_id) == bindparam("meeting"),
    )
    .values(spent_seconds=AgendaItem.spent_seconds + bindparam("seconds"))
    .returning(col(AgendaItem.spent_seconds))
)
_PRESENTABLE = select(
    col(Document.page_count), col(Document.content_type), col(Document.pdf_sha256)
).where(
    col(Document.id) == bindparam("document_id"),
    col(Document.meeting_id) == bindparam("meeting_id"),
    col(Document.status) == DocumentStatus.READY,
)
# Presenter mode ends when the chair moves on: the next item has its own documents.
_NOT_PRESENTING: dict[str, Any] = {"presenting_document_id": None, "presenting_page": None}


def _load(session: Session, actor: Actor, meeting_id: int) -> MeetingRow:
    # A plain row, locked on PostgreSQL until the commit: steps of one meeting queue.
    return meetings.load_meeting_row(
        session, actor=actor, meeting_id=meeting_id, perm=Perm.CONTROL_LIVE, lock=True
    )


def _require_live(meeting: MeetingRow) -> None:
    if meeting.status != MeetingStatus.LIVE:
        raise Conflict("Cuộc họp chưa bắt đầu hoặc đã kết thúc.", code="meeting_not_live")


def _require_open(meeting: MeetingRow) -> None:
    if meeting.status == MeetingStatus.ENDED:
        raise Conflict("Cuộc họp đã kết thúc.", code="meeting_ended")
    if meeting.status == MeetingStatus.ARCHIVED:
        raise Conflict("Cuộc họp đã lưu trữ.", code="meeting_archived")


def stretch_seconds(started_at: datetime | None, now: datetime) -> int:
    """Whole seconds of a running stretch, rounded down as every client shows a running
    clock: a pause never makes the shown time jump forward."""
    if started_at is None:
        return 0
    return max(0, math.floor((now - started_at).total_seconds()))


def _close_stretch(
    session: Session, meeting: MeetingRow, now: datetime
) -> dict[int, dict[str, Any]]:
    """Add the current item's running stretch to its spent seconds; the item changes made."""
    if meeting.current_item_id is None or meeting.item_started_at is None:
        return {}
    total = run(
        session,
        _ADD_SPENT,
        {
            "item": meeting.current_item_id,
            "meeting": meeting.id,
            "seconds": stretch_seconds(meeting.item_started_at, now),
        },
    ).scalar_one_or_none()
    if total is None:  # the item was deleted meanwhile: nothing to add to
        return {}
    return {meeting.current_item_id: {"spent_seconds": int(total)}}


def _write(
    session: Session,
    meeting: MeetingRow,
    changes: dict[str, Any],
    item_changes: dict[int, dict[str, Any]] | None = None,
) -> MeetingRow:
    # One UPDATE with the version bump (the chair's every step): see meetings.touch.
    version = meetings.touch(session, meeting.id, changes, item_changes=item_changes)
    if version is None:
        raise NotFound("Không tìm thấy cuộc họp.", code="meeting_not_found")
    known = {k: v for k, v in changes.items() if k in MeetingRow.__dataclass_fields__}
    return replace(meeting, version=version, **known)


def _move_to(session: Session, meeting: MeetingRow, item_id: int | None) -> MeetingRow:
    now = utcnow()
    spent = _close_stretch(session, meeting, now)
    paused = meeting.paused_at is not None
    changes: dict[str, Any] = {
        "current_item_id": item_id,
        # The new item's clock starts now, unless the meeting is paused (it starts on resume).
        "item_started_at": None if paused or item_id is None else now,
        **_NOT_PRESENTING,
    }
    return _write(session, meeting, changes, spent)


def start_meeting(session: Session, *, actor: Actor, meeting_id: int) -> MeetingRow:
    """Open the meeting on its first agenda item, its clock running."""
    meeting = _load(session, actor, meeting_id)
    _require_open(meeting)
    if meeting.status == MeetingStatus.LIVE:
        raise Conflict("Cuộc họp đang diễn ra.", code="meeting_already_live")
    ids = item_ids(session, meeting_id)
    first = ids[0] if ids else None
    changes: dict[str, Any] = {
        "status": MeetingStatus.LIVE,
        "current_item_id": first,
        "paused_at": None,
        "item_started_at": utcnow() if first is not None else None,
        **_NOT_PRESENTING,
    }
    return _write(session, meeting, changes)


def step(session: Session, *, actor: Actor, meeting_id: int, delta: int) -> MeetingRow:
    """Move `delta` items forward (+1, next) or back (-1, previous)."""
    meeting = _load(session, actor, meeting_id)
    _require_live(meeting)
    ids = item_ids(session, meeting_id)
    if not ids:
        raise Conflict("Chương trình chưa có nội dung nào.", code="agenda_empty")
    index = ids.index(meeting.current_item_id) if meeting.current_item_id in ids else -1
    target = index + delta if index >= 0 else 0
    if target >= len(ids):
        raise Conflict("Đã ở nội dung cuối cùng.", code="at_last_item")
    if target < 0:
        raise Conflict("Đã ở nội dung đầu tiên.", code="at_first_item")
    return _move_to(session, meeting, ids[target])


def jump_to(session: Session, *, actor: Actor, meeting_id: int, item_id: int) -> MeetingRow:
    meeting = _load(session, actor, meeting_id)
    _require_live(meeting)
    if item_id not in set(item_ids(session, meeting_id)):
        raise Invalid(
            "Nội dung không thuộc cuộc họp này.", code="agenda_item_not_found", field="item_id"
        )
    if item_id == meeting.current_item_id:
        raise Conflict("Nội dung này đang được trình bày.", code="already_current")
    return _move_to(session, meeting, item_id)


def pause_meeting(session: Session, *, actor: Actor, meeting_id: int) -> MeetingRow:
    """Stop the clock (a break): the current item stays, its running stretch is kept."""
    meeting = _load(session, actor, meeting_id)
    _require_live(meeting)
    if meeting.paused_at is not None:
        raise Conflict("Cuộc họp đang tạm dừng.", code="meeting_already_paused")
    now = utcnow()
    spent = _close_stretch(session, meeting, now)
    return _write(session, meeting, {"paused_at": now, "item_started_at": None}, spent)


def resume_meeting(session: Session, *, actor: Actor, meeting_id: int) -> MeetingRow:
    meeting = _load(session, actor, meeting_id)
    _require_live(meeting)
    if meeting.paused_at is None:
        raise Conflict("Cuộc họp không tạm dừng.", code="meeting_not_paused")
    started = utcnow() if meeting.current_item_id is not None else None
    return _write(session, meeting, {"paused_at": None, "item_started_at": started})


def end_meeting(session: Session, *, actor: Actor, meeting_id: int) -> MeetingRow:
    meeting = _load(session, actor, meeting_id)
    _require_live(meeting)
    spent = _close_stretch(session, meeting, utcnow())
    changes: dict[str, Any] = {
        "status": MeetingStatus.ENDED,
        "current_item_id": None,
        "paused_at": None,
        "item_started_at": None,
        "announcement": "",
        **_NOT_PRESENTING,
    }
    return _write(session, meeting, changes, spent)


def announce(session: Session, *, actor: Actor, meeting_id: int, text: str) -> MeetingRow:
    """Show `text` as a banner on every tablet and the room screen ("" takes it down).
    Possible before the start too ("Phiên họp bắt đầu lúc 8 giờ 30")."""
    meeting = _load(session, actor, meeting_id)
    _require_open(meeting)
    text = " ".join(text.split())  # one line: a banner, not a document
    if len(text) > ANNOUNCEMENT_MAX:
        raise Invalid(
            f"Thông báo dài tối đa {ANNOUNCEMENT_MAX} ký tự.", code="too_long", field="text"
        )
    return _write(session, meeting, {"announcement": text})


def present(
    session: Session, *, actor: Actor, meeting_id: int, document_id: int | None, page: int = 1
) -> MeetingRow:
    """Show one page of a document to everyone who may read it (None: stop presenting).
    Tablets that follow the presenter open it at that page."""
    meeting = _load(session, actor, meeting_id)
    _require_live(meeting)
    if document_id is None:
        return _write(session, meeting, dict(_NOT_PRESENTING))
    found = run(
        session, _PRESENTABLE, {"document_id": document_id, "meeting_id": meeting_id}
    ).first()
    if found is None:
        raise Invalid(
            "Tài liệu không thuộc cuộc họp này hoặc chưa sẵn sàng.",
            code="document_not_found",
            field="document_id",
        )
    pages, content_type, pdf_sha256 = found
    if content_type != PDF and not pdf_sha256:
        raise Conflict(
            "Tài liệu này chưa có bản PDF nên không trình chiếu được.", code="document_not_viewable"
        )
    if not 1 <= page <= max(1, int(pages)):
        raise Invalid(
            f"Tài liệu có {pages} trang; hãy chọn trang từ 1 đến {pages}.",
            code="page_out_of_range",
            field="page",
        )
    return _write(
        session, meeting, {"presenting_document_id": document_id, "presenting_page": page}
    )
