"""Meetings: create, read, update, delete, and `touch`, the one writer of Meeting.version."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam
from sqlalchemy import select as sa_select
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.util import identity_key
from sqlmodel import Session, col, or_, select, update

from ecabinet.actor import Actor, Role
from ecabinet.auth.models import User
from ecabinet.db import run
from ecabinet.errors import Conflict, Invalid, NotFound
from ecabinet.events import AccessRevoked, record
from ecabinet.meetings.events import MeetingChanged, MeetingDeleting
from ecabinet.meetings.models import Meeting, MeetingStatus
from ecabinet.meetings.schemas import MeetingCreate, MeetingUpdate
from ecabinet.permissions import Perm, require_global, require_meeting

_BUMP_VERSION = (
    update(Meeting)
    .where(col(Meeting.id) == bindparam("meeting_id"))
    .values(version=Meeting.version + 1)
    .returning(col(Meeting.version))
)


def touch(
    session: Session, meeting_id: int, changes: Mapping[str, Any] | None = None
) -> int | None:
    """Bump the meeting's version and record MeetingChanged (live pushes it after commit).

    `changes` (column → value) are written in the same statement: the live controls'
    one-statement path. The loaded meeting, if any, gets them and the new version, which is
    returned (None if the meeting is gone)."""
    pending = bool(session.new or session.dirty or session.deleted)
    session.flush()
    # In SQL (version + 1), not read-modify-write, so concurrent commits never lose a bump;
    # RETURNING hands back the new value without another SELECT.
    statement = _BUMP_VERSION.values(**changes) if changes else _BUMP_VERSION
    version = run(session, statement, {"meeting_id": meeting_id}).scalar_one_or_none()
    only = dict(changes) if changes and not pending else None
    record(session, MeetingChanged(meeting_id, version, only))
    meeting = session.identity_map.get(identity_key(Meeting, meeting_id))
    if isinstance(meeting, Meeting) and version is not None:
        for name, value in (changes or {}).items():
            set_committed_value(meeting, name, value)
        set_committed_value(meeting, "version", version)
    return version


@dataclass(frozen=True, slots=True)
class MeetingRow:
    """What access checks and the live controls need of a meeting, read without the ORM
    (every chair step and every meeting-scoped request: a third of the cost of an ORM load)."""

    id: int
    secretary_id: int | None
    chair_id: int | None
    status: str
    current_item_id: int | None
    version: int


_ROW = sa_select(
    col(Meeting.id),
    col(Meeting.secretary_id),
    col(Meeting.chair_id),
    col(Meeting.status),
    col(Meeting.current_item_id),
    col(Meeting.version),
).where(col(Meeting.id) == bindparam("meeting_id"))
# PostgreSQL: concurrent live controls of one meeting queue here, so two chairs pressing
# "next" at once move two items, not one twice (SQLite's writers are serial anyway).
_ROW_FOR_UPDATE = _ROW.with_for_update()


def meeting_row(session: Session, meeting_id: int, *, lock: bool = False) -> MeetingRow | None:
    found = run(session, _ROW_FOR_UPDATE if lock else _ROW, {"meeting_id": meeting_id}).first()
    return MeetingRow(*found) if found is not None else None


def load_meeting_row(
    session: Session, *, actor: Actor, meeting_id: int, perm: Perm, lock: bool = False
) -> MeetingRow:
    """`load_meeting` for the hot paths: the row, if `actor` holds `perm` on it."""
    row = meeting_row(session, meeting_id, lock=lock)
    if row is None:
        raise NotFound("Không tìm thấy cuộc họp.", code="meeting_not_found")
    require_meeting(actor, row, perm)
    return row


def get_meeting(session: Session, meeting_id: int) -> Meeting:
    meeting = session.get(Meeting, meeting_id)
    if meeting is None:
        raise NotFound("Không tìm thấy cuộc họp.", code="meeting_not_found")
    return meeting


def load_meeting(session: Session, *, actor: Actor, meeting_id: int, perm: Perm) -> Meeting:
    """The meeting, if `actor` holds `perm` on it; NotFound for outsiders."""
    meeting = get_meeting(session, meeting_id)
    require_meeting(actor, meeting, perm)
    return meeting


def require_viewer(session: Session, *, actor: Actor, meeting_id: int) -> None:
    """NotFound unless `actor` may see the meeting. An attendee's token names its meeting, and
    the check that resolved it found that meeting, so this reads nothing for them (every
    tablet's join); staff need the meeting's secretary and chair."""
    if actor.is_attendee:
        if actor.meeting_id != meeting_id:
            raise NotFound("Không tìm thấy cuộc họp.", code="meeting_not_found")
        return
    load_meeting(session, actor=actor, meeting_id=meeting_id, perm=Perm.VIEW_MEETING)


def require_editable(meeting: Meeting) -> None:
    if meeting.status == MeetingStatus.ENDED:
        raise Conflict("Cuộc họp đã kết thúc, không thể sửa.", code="meeting_ended")


def list_meetings(session: Session, *, actor: Actor) -> list[Meeting]:
    query = select(Meeting)
    if actor.is_attendee:
        query = query.where(Meeting.id == actor.meeting_id)
    elif actor.role != Role.ADMIN:
        query = query.where(
            or_(col(Meeting.secretary_id) == actor.user_id, col(Meeting.chair_id) == actor.user_id)
        )
    return list(session.exec(query.order_by(col(Meeting.starts_at).desc(), col(Meeting.id).desc())))


def _check_chair(session: Session, chair_id: int | None) -> None:
    if chair_id is None:
        return
    user = session.get(User, chair_id)
    if user is None or not user.is_active or user.role not in (Role.CHAIR, Role.ADMIN):
        raise Invalid("Chủ tọa phải là một tài khoản chủ tọa đang hoạt động.", field="chair_id")


def create_meeting(session: Session, *, actor: Actor, data: MeetingCreate) -> Meeting:
    """Create a draft meeting; its creator becomes its secretary."""
    require_global(actor, Perm.CREATE_MEETING)
    _check_chair(session, data.chair_id)
    meeting = Meeting(
        title=data.title,
        location=data.location,
        starts_at=data.starts_at,
        chair_id=data.chair_id,
        secretary_id=actor.user_id,
    )
    session.add(meeting)
    session.flush()
    return meeting


def update_meeting(
    session: Session, *, actor: Actor, meeting_id: int, data: MeetingUpdate
) -> Meeting:
    """Change title, place, time or chair; tablets see the new title at once."""
    meeting = load_meeting(session, actor=actor, meeting_id=meeting_id, perm=Perm.EDIT_MEETING)
    require_editable(meeting)
    changes = data.model_dump(exclude_unset=True)
    if "title" in changes and changes["title"] is None:
        raise Invalid("Tên cuộc họp không được để trống.", field="title")
    if "chair_id" in changes:
        _check_chair(session, changes["chair_id"])
        if changes["chair_id"] != meeting.chair_id and meeting.chair_id is not None:
            # The former chair's console must stop receiving this meeting.
            record(session, AccessRevoked(meeting_id=meeting_id, user_ids=(meeting.chair_id,)))
    for name, value in changes.items():
        setattr(meeting, name, value if name != "location" else (value or ""))
    session.add(meeting)
    touch(session, meeting_id)
    return meeting


def delete_meeting(session: Session, *, actor: Actor, meeting_id: int) -> None:
    """Delete a meeting that is not live, with everything in it (the database cascades;
    features with files react to MeetingDeleting)."""
    meeting = load_meeting(session, actor=actor, meeting_id=meeting_id, perm=Perm.EDIT_MEETING)
    if meeting.status == MeetingStatus.LIVE:
        raise Conflict("Không thể xóa cuộc họp đang diễn ra.", code="meeting_live")
    record(session, MeetingDeleting(meeting_id))
    session.delete(meeting)
    session.flush()
    record(session, AccessRevoked(meeting_id=meeting_id))  # everyone connected to it
