"""The live meeting: start, move the current item, end. The only writer of current_item_id."""

from __future__ import annotations

from dataclasses import replace

from sqlmodel import Session

from ecabinet.actor import Actor
from ecabinet.agenda.service import item_ids
from ecabinet.errors import Conflict, Invalid, NotFound
from ecabinet.meetings import service as meetings
from ecabinet.meetings.models import MeetingStatus
from ecabinet.meetings.service import MeetingRow
from ecabinet.permissions import Perm


def _load(session: Session, actor: Actor, meeting_id: int) -> MeetingRow:
    # A plain row, locked on PostgreSQL until the commit: steps of one meeting queue.
    return meetings.load_meeting_row(
        session, actor=actor, meeting_id=meeting_id, perm=Perm.CONTROL_LIVE, lock=True
    )


def _require_live(meeting: MeetingRow) -> None:
    if meeting.status != MeetingStatus.LIVE:
        raise Conflict("Cuộc họp chưa bắt đầu hoặc đã kết thúc.", code="meeting_not_live")


def _set_current(
    session: Session, meeting: MeetingRow, item_id: int | None, status: MeetingStatus | None = None
) -> MeetingRow:
    changes: dict[str, object] = {"current_item_id": item_id}
    if status is not None:
        changes["status"] = status
    # One UPDATE with the version bump (the chair's every step): see meetings.touch.
    version = meetings.touch(session, meeting.id, changes)
    if version is None:
        raise NotFound("Không tìm thấy cuộc họp.", code="meeting_not_found")
    return replace(
        meeting, current_item_id=item_id, status=status or meeting.status, version=version
    )


def start_meeting(session: Session, *, actor: Actor, meeting_id: int) -> MeetingRow:
    """Open the meeting on its first agenda item."""
    meeting = _load(session, actor, meeting_id)
    if meeting.status == MeetingStatus.ENDED:
        raise Conflict("Cuộc họp đã kết thúc.", code="meeting_ended")
    if meeting.status == MeetingStatus.ARCHIVED:
        raise Conflict("Cuộc họp đã lưu trữ.", code="meeting_archived")
    if meeting.status == MeetingStatus.LIVE:
        raise Conflict("Cuộc họp đang diễn ra.", code="meeting_already_live")
    ids = item_ids(session, meeting_id)
    return _set_current(session, meeting, ids[0] if ids else None, MeetingStatus.LIVE)


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
    return _set_current(session, meeting, ids[target])


def jump_to(session: Session, *, actor: Actor, meeting_id: int, item_id: int) -> MeetingRow:
    meeting = _load(session, actor, meeting_id)
    _require_live(meeting)
    if item_id not in set(item_ids(session, meeting_id)):
        raise Invalid(
            "Nội dung không thuộc cuộc họp này.", code="agenda_item_not_found", field="item_id"
        )
    return _set_current(session, meeting, item_id)


def end_meeting(session: Session, *, actor: Actor, meeting_id: int) -> MeetingRow:
    meeting = _load(session, actor, meeting_id)
    _require_live(meeting)
    return _set_current(session, meeting, None, MeetingStatus.ENDED)
