"""Agenda items and their order. Positions stay 0..n-1 after every change."""

from __future__ import annotations

from sqlalchemy import bindparam
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from ecabinet.actor import Actor
from ecabinet.agenda.models import AgendaItem
from ecabinet.agenda.schemas import AgendaItemCreate, AgendaItemUpdate
from ecabinet.db import run
from ecabinet.errors import Conflict, Invalid, NotFound
from ecabinet.events import audit
from ecabinet.meetings import service as meetings
from ecabinet.meetings.models import Meeting, MeetingStatus
from ecabinet.permissions import Perm

MAX_ITEMS = 500


def list_items(session: Session, meeting_id: int) -> list[AgendaItem]:
    query = select(AgendaItem).where(AgendaItem.meeting_id == meeting_id)
    return list(session.exec(query.order_by(col(AgendaItem.position), col(AgendaItem.id))))


_ITEM_IDS = (
    sa_select(col(AgendaItem.id))
    .where(col(AgendaItem.meeting_id) == bindparam("meeting_id"))
    .order_by(col(AgendaItem.position), col(AgendaItem.id))
)


def item_ids(session: Session, meeting_id: int) -> list[int]:
    """The meeting's agenda item ids in order (plain ids: the chair's every step reads them)."""
    rows = run(session, _ITEM_IDS, {"meeting_id": meeting_id})
    return [int(item_id) for item_id in rows.scalars()]


def get_item(session: Session, item_id: int) -> AgendaItem:
    item = session.get(AgendaItem, item_id)
    if item is None:
        raise NotFound("Không tìm thấy nội dung.", code="agenda_item_not_found")
    return item


def load_for_edit(session: Session, actor: Actor, item_id: int) -> tuple[AgendaItem, Meeting]:
    item = get_item(session, item_id)
    try:
        meeting = meetings.load_meeting(
            session, actor=actor, meeting_id=item.meeting_id, perm=Perm.EDIT_MEETING
        )
    except NotFound:
        # Someone else's item: say the item is missing, not the meeting.
        raise NotFound("Không tìm thấy nội dung.", code="agenda_item_not_found") from None
    meetings.require_editable(meeting)
    return item, meeting


def _renumber(session: Session, items: list[AgendaItem]) -> None:
    for position, item in enumerate(items):
        if item.position != position:
            item.position = position
            session.add(item)


def add_item(
    session: Session, *, actor: Actor, meeting_id: int, data: AgendaItemCreate
) -> AgendaItem:
    """Insert an item at `data.position` (default: last)."""
    meeting = meetings.load_meeting(
        session, actor=actor, meeting_id=meeting_id, perm=Perm.EDIT_MEETING
    )
    meetings.require_editable(meeting)
    items = list_items(session, meeting_id)
    if len(items) >= MAX_ITEMS:
        raise Conflict(f"Mỗi cuộc họp có tối đa {MAX_ITEMS} nội dung.", code="agenda_full")
    position = len(items) if data.position is None else min(data.position, len(items))
    item = AgendaItem(
        meeting_id=meeting_id,
        position=position,
        title=data.title,
        presenter=data.presenter,
        duration_minutes=data.duration_minutes,
        notes=data.notes,
    )
    items.insert(position, item)
    session.add(item)
    _renumber(session, items)
    audit(session, actor, meeting_id=meeting_id, action="agenda.add", subject=item.title)
    meetings.touch(session, meeting_id)
    return item


def update_item(
    session: Session, *, actor: Actor, item_id: int, data: AgendaItemUpdate
) -> AgendaItem:
    item, _meeting = load_for_edit(session, actor, item_id)
    changes = data.model_dump(exclude_unset=True)
    expected = changes.pop("revision", None)
    if expected is not None and expected != item.revision:
        raise Conflict(
            "Người khác vừa sửa nội dung này. Hãy tải lại trang để xem thay đổi rồi sửa tiếp.",
            code="edit_conflict",
        )
    if "title" in changes and changes["title"] is None:
        raise Invalid("Nội dung không được để trống.", field="title")
    before = {name: getattr(item, name) for name in changes}
    for name, value in changes.items():
        if value is None and name in ("presenter", "notes"):
            value = ""
        setattr(item, name, value)
    item.revision += 1
    session.add(item)
    audit(
        session,
        actor,
        meeting_id=item.meeting_id,
        action="agenda.update",
        subject=item.title,
        changes={name: (before[name], getattr(item, name)) for name in before},
    )
    meetings.touch(session, item.meeting_id)
    return item


def move_item(session: Session, *, actor: Actor, item_id: int, position: int) -> AgendaItem:
    """Move an item to `position` (0-based) within its meeting and renumber the others."""
    item, _meeting = load_for_edit(session, actor, item_id)
    was = item.position
    items = [other for other in list_items(session, item.meeting_id) if other.id != item.id]
    items.insert(min(max(position, 0), len(items)), item)
    _renumber(session, items)
    audit(
        session,
        actor,
        meeting_id=item.meeting_id,
        action="agenda.move",
        subject=item.title,
        changes={"position": (was + 1, item.position + 1)},
    )
    meetings.touch(session, item.meeting_id)
    return item


def delete_item(session: Session, *, actor: Actor, item_id: int) -> None:
    """Delete an item; the item on screen during a live meeting cannot be deleted."""
    item, meeting = load_for_edit(session, actor, item_id)
    if meeting.status == MeetingStatus.LIVE and meeting.current_item_id == item.id:
        raise Conflict("Không thể xóa nội dung đang được trình bày.", code="agenda_item_is_current")
    meeting_id = item.meeting_id
    audit(session, actor, meeting_id=meeting_id, action="agenda.delete", subject=item.title)
    session.delete(item)
    session.flush()
    _renumber(session, list_items(session, meeting_id))
    meetings.touch(session, meeting_id)
