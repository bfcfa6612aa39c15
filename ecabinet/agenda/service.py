"""Agenda items and their order. Positions stay 0..n-1 after every change."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from sqlalchemy import bindparam
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from ecabinet.actor import Actor
from ecabinet.agenda.models import AgendaItem
from ecabinet.agenda.numbering import number_items
from ecabinet.agenda.schemas import AgendaItemCreate, AgendaItemPublic, AgendaItemUpdate
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


def load_meeting_for_edit(session: Session, actor: Actor, meeting_id: int) -> Meeting:
    """The meeting whose agenda `actor` may change: its secretaries always (until it ends),
    and its chair while the meeting is live (items added, renamed, moved from the console)."""
    meeting = meetings.load_meeting(
        session, actor=actor, meeting_id=meeting_id, perm=Perm.EDIT_AGENDA
    )
    meetings.require_editable(meeting)
    return meeting


def load_for_edit(session: Session, actor: Actor, item_id: int) -> tuple[AgendaItem, Meeting]:
    item = get_item(session, item_id)
    try:
        meeting = load_meeting_for_edit(session, actor, item.meeting_id)
    except NotFound:
        # Someone else's item: say the item is missing, not the meeting.
        raise NotFound("Không tìm thấy nội dung.", code="agenda_item_not_found") from None
    return item, meeting


def _out_of_range(position: int, last: int, parent: AgendaItem | None) -> Invalid:
    where = "các mục lớn" if parent is None else f"các nội dung con của “{parent.title}”"
    return Invalid(
        f"Không có vị trí {position + 1} trong {where}: hãy chọn từ 1 đến {last + 1}.",
        code="position_out_of_range",
        field="position",
    )


def _parent_for(
    items: list[AgendaItem], parent_id: int | None, moving: AgendaItem | None
) -> AgendaItem | None:
    """The top-level item `parent_id` names in this agenda, checked; None for top level."""
    if parent_id is None:
        return None
    parent = next((item for item in items if item.id == parent_id), None)
    if parent is None:
        raise Invalid(
            "Mục cha không thuộc chương trình này.", code="agenda_parent_invalid", field="parent_id"
        )
    if parent.parent_id is not None or parent is moving:
        raise Invalid(
            "Chỉ có một cấp nội dung con: hãy chọn một mục lớn (I, II, ...).",
            code="agenda_too_deep",
            field="parent_id",
        )
    if moving is not None and any(item.parent_id == moving.id for item in items):
        raise Invalid(
            "Mục này đang có nội dung con nên không thể thành nội dung con của mục khác.",
            code="agenda_too_deep",
            field="parent_id",
        )
    return parent


def _place(
    session: Session,
    items: list[AgendaItem],
    item: AgendaItem,
    parent: AgendaItem | None,
    index: int,
) -> None:
    """Put `item` at `index` among `parent`'s children (or the top-level items), then give
    every item its place in the agenda read top to bottom: a parent before its children."""
    parent_id = None if parent is None else parent.id
    siblings = [other for other in items if other.parent_id == parent_id and other is not item]
    siblings.insert(index, item)
    item.parent_id = parent_id
    # The moved group is ordered by its new ranks; every other group keeps its order.
    rank = {id(sibling): index for index, sibling in enumerate(siblings)}

    def group(of: int | None) -> list[AgendaItem]:
        members = [other for other in items if other.parent_id == of]
        return sorted(members, key=lambda member: rank.get(id(member), member.position))

    flat: list[AgendaItem] = []
    for top in group(None):
        flat.append(top)
        flat.extend(group(top.id))
    for position, placed in enumerate(flat):
        if placed.position != position:
            placed.position = position
            session.add(placed)


def _renumber(session: Session, items: list[AgendaItem]) -> None:
    for position, item in enumerate(items):
        if item.position != position:
            item.position = position
            session.add(item)


def numbered(session: Session, meeting_id: int) -> list[AgendaItemPublic]:
    """The agenda in order, each item with its computed number and label."""
    items = list_items(session, meeting_id)
    numbers = number_items(items)
    return [
        AgendaItemPublic.model_validate(
            {
                **item.model_dump(),
                "number": numbers[item.id].number,  # type: ignore[index]
                "label": numbers[item.id].label,  # type: ignore[index]
            }
        )
        for item in items
    ]


def numbered_item(session: Session, item: AgendaItem) -> AgendaItemPublic:
    session.flush()
    return next(public for public in numbered(session, item.meeting_id) if public.id == item.id)


def agenda_groups(items: list[AgendaItemPublic]) -> dict[str, set[int]]:
    """For the reorder buttons: the items first and last among their siblings, and the items
    that have sub-items (those cannot become sub-items themselves)."""
    groups: dict[int | None, list[int]] = {}
    for item in items:
        groups.setdefault(item.parent_id, []).append(item.id)
    return {
        "first_in_group": {ids[0] for ids in groups.values()},
        "last_in_group": {ids[-1] for ids in groups.values()},
        "parents": {parent for parent in groups if parent is not None},
    }


def labels(items: list[AgendaItem]) -> dict[int, str]:
    """Item id → its label ("II", "II.1"), for items in agenda order."""
    return {item_id: number.label for item_id, number in number_items(items).items()}


def add_item(
    session: Session, *, actor: Actor, meeting_id: int, data: AgendaItemCreate
) -> AgendaItem:
    """Insert an item at `data.position` among its siblings (default: last), under
    `data.parent_id` when given."""
    load_meeting_for_edit(session, actor, meeting_id)
    items = list_items(session, meeting_id)
    if len(items) >= MAX_ITEMS:
        raise Conflict(f"Mỗi cuộc họp có tối đa {MAX_ITEMS} nội dung.", code="agenda_full")
    parent = _parent_for(items, data.parent_id, None)
    siblings = sum(1 for other in items if other.parent_id == data.parent_id)
    position = siblings if data.position is None else data.position
    if position > siblings:
        raise _out_of_range(position, siblings, parent)
    item = AgendaItem(
        meeting_id=meeting_id,
        position=len(items),
        title=data.title,
        presenter=data.presenter,
        duration_minutes=data.duration_minutes,
        notes=data.notes,
    )
    session.add(item)
    session.flush()  # the item's id: sub-items are grouped under it by id
    _place(session, [*items, item], item, parent, position)
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


KEEP_PARENT: Any = object()  # move_item's default: stay under the same parent


def move_item(
    session: Session,
    *,
    actor: Actor,
    item_id: int,
    position: int,
    parent_id: int | None = KEEP_PARENT,
) -> AgendaItem:
    """Move an item to `position` (0-based) among the children of `parent_id` (None: the
    top-level items; default: its current parent). Its sub-items move with it."""
    item, _meeting = load_for_edit(session, actor, item_id)
    items = list_items(session, item.meeting_id)
    before = labels(items)
    target_parent_id = item.parent_id if parent_id is KEEP_PARENT else parent_id
    parent = _parent_for(items, target_parent_id, item)
    siblings = sum(
        1 for other in items if other.parent_id == target_parent_id and other is not item
    )
    if position > siblings:
        raise _out_of_range(position, siblings, parent)
    _place(session, items, item, parent, position)
    after = labels(sorted(items, key=lambda other: other.position))
    assert item.id is not None
    audit(
        session,
        actor,
        meeting_id=item.meeting_id,
        action="agenda.move",
        subject=item.title,
        changes={"position": (before[item.id], after[item.id])},
    )
    meetings.touch(session, item.meeting_id)
    return item


class Nudge(StrEnum):
    """One step of the keyboard-and-button alternative to dragging."""

    UP = "up"  # before the previous sibling
    DOWN = "down"  # after the next sibling
    INDENT = "indent"  # become the last sub-item of the top-level item above
    OUTDENT = "outdent"  # become a top-level item right after its parent


def nudge_item(session: Session, *, actor: Actor, item_id: int, step: Nudge) -> AgendaItem:
    """Move an item one step; a step that cannot be taken (the first item up, an item with
    sub-items indented) is refused with the reason."""
    item, _meeting = load_for_edit(session, actor, item_id)
    items = list_items(session, item.meeting_id)
    siblings = [other for other in items if other.parent_id == item.parent_id]
    index = siblings.index(item)
    if step is Nudge.UP or step is Nudge.DOWN:
        target = index - 1 if step is Nudge.UP else index + 1
        if not 0 <= target < len(siblings):
            raise Invalid("Nội dung đã ở đầu hoặc cuối nhóm.", code="position_out_of_range")
        return move_item(session, actor=actor, item_id=item_id, position=target)
    if step is Nudge.INDENT:
        if item.parent_id is not None or index == 0:
            raise Invalid(
                "Chỉ mục lớn có mục lớn khác ở trên mới thụt vào được.", code="agenda_too_deep"
            )
        above = siblings[index - 1]
        children = sum(1 for other in items if other.parent_id == above.id)
        return move_item(
            session, actor=actor, item_id=item_id, position=children, parent_id=above.id
        )
    if item.parent_id is None:
        raise Invalid("Nội dung này đã là mục lớn.", code="agenda_parent_invalid")
    top_level = [other for other in items if other.parent_id is None]
    after_parent = next(n for n, other in enumerate(top_level) if other.id == item.parent_id) + 1
    return move_item(session, actor=actor, item_id=item_id, position=after_parent, parent_id=None)


def delete_item(session: Session, *, actor: Actor, item_id: int) -> None:
    """Delete an item with its sub-items; the item on screen during a live meeting (or the
    section holding it) cannot be deleted."""
    item, meeting = load_for_edit(session, actor, item_id)
    meeting_id = item.meeting_id
    items = list_items(session, meeting_id)
    going = [item, *(other for other in items if other.parent_id == item.id)]
    if meeting.status == MeetingStatus.LIVE and meeting.current_item_id in {
        other.id for other in going
    }:
        raise Conflict("Không thể xóa nội dung đang được trình bày.", code="agenda_item_is_current")
    for other in reversed(going):  # sub-items first: their parent must outlive them
        audit(session, actor, meeting_id=meeting_id, action="agenda.delete", subject=other.title)
        session.delete(other)
        session.flush()  # one by one: the database's cascade must not beat the ORM to them
    _renumber(session, [other for other in items if other not in going])
    meetings.touch(session, meeting_id)
