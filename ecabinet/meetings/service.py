"""Meetings: create, read, update, delete, and `touch`, the one writer of Meeting.version."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta, tzinfo
from typing import Any

from sqlalchemy import bindparam, func, true
from sqlalchemy import select as sa_select
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.util import identity_key
from sqlmodel import Session, col, or_, select, update

from ecabinet.actor import Actor, Role
from ecabinet.auth.models import User
from ecabinet.db import run
from ecabinet.errors import Conflict, Invalid, NotFound
from ecabinet.events import AccessRevoked, audit, record
from ecabinet.meetings.events import MeetingChanged, MeetingDeleting, MeetingRescheduled
from ecabinet.meetings.models import Meeting, MeetingSecretary, MeetingStatus
from ecabinet.meetings.schemas import MeetingCreate, MeetingFilters, MeetingUpdate
from ecabinet.permissions import Perm, require_global, require_meeting
from ecabinet.text import fold

_BUMP_VERSION = (
    update(Meeting)
    .where(col(Meeting.id) == bindparam("meeting_id"))
    .values(version=Meeting.version + 1)
    .returning(col(Meeting.version))
)


def touch(
    session: Session,
    meeting_id: int,
    changes: Mapping[str, Any] | None = None,
    *,
    item_changes: Mapping[int, Mapping[str, Any]] | None = None,
) -> int | None:
    """Bump the meeting's version and record MeetingChanged (live pushes it after commit).

    `changes` (column → value) are written in the same statement: the live controls'
    one-statement path. `item_changes` names agenda item columns the caller already wrote in
    this transaction outside the ORM (the live timer's spent seconds), so a push can still
    build on the previous state. The loaded meeting, if any, gets the changes and the new
    version, which is returned (None if the meeting is gone)."""
    pending = bool(session.new or session.dirty or session.deleted)
    session.flush()
    # In SQL (version + 1), not read-modify-write, so concurrent commits never lose a bump;
    # RETURNING hands back the new value without another SELECT.
    statement = _BUMP_VERSION.values(**changes) if changes else _BUMP_VERSION
    version = run(session, statement, {"meeting_id": meeting_id}).scalar_one_or_none()
    only = dict(changes) if changes and not pending else None
    items = dict(item_changes) if only is not None and item_changes else None
    record(session, MeetingChanged(meeting_id, version, only, items))
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
    secretary_ids: frozenset[int]
    paused_at: datetime | None = None
    item_started_at: datetime | None = None


# One statement with the co-secretaries (a row each, or one row of NULL).
_ROW = (
    sa_select(
        col(Meeting.id),
        col(Meeting.secretary_id),
        col(Meeting.chair_id),
        col(Meeting.status),
        col(Meeting.current_item_id),
        col(Meeting.version),
        col(MeetingSecretary.user_id),
        col(Meeting.paused_at),
        col(Meeting.item_started_at),
    )
    .outerjoin(MeetingSecretary, col(MeetingSecretary.meeting_id) == col(Meeting.id))
    .where(col(Meeting.id) == bindparam("meeting_id"))
)
# PostgreSQL: concurrent live controls of one meeting queue here, so two chairs pressing
# "next" at once move two items, not one twice (SQLite's writers are serial anyway).
_ROW_FOR_UPDATE = _ROW.with_for_update(of=Meeting)


def meeting_row(session: Session, meeting_id: int, *, lock: bool = False) -> MeetingRow | None:
    found = run(session, _ROW_FOR_UPDATE if lock else _ROW, {"meeting_id": meeting_id}).all()
    if not found:
        return None
    first = found[0]
    secretaries = {r[6] for r in found if r[6] is not None}
    if first[1] is not None:
        secretaries.add(first[1])
    meeting_id_, secretary_id, chair_id, status, current_item_id, version, _, paused, started = (
        first
    )
    return MeetingRow(
        meeting_id_,
        secretary_id,
        chair_id,
        status,
        current_item_id,
        version,
        frozenset(secretaries),
        paused,
        started,
    )


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
    if actor.is_attendee or actor.is_screen:  # a room screen: the one meeting it is paired to
        if actor.meeting_id != meeting_id:
            raise NotFound("Không tìm thấy cuộc họp.", code="meeting_not_found")
        return
    load_meeting(session, actor=actor, meeting_id=meeting_id, perm=Perm.VIEW_MEETING)


def require_editable(meeting: Meeting | MeetingRow) -> None:
    """Details, agenda, documents and attendees change only before the meeting has ended
    (docs/meetings.md)."""
    if meeting.status == MeetingStatus.ENDED:
        raise Conflict("Cuộc họp đã kết thúc, không thể sửa.", code="meeting_ended")
    if meeting.status == MeetingStatus.ARCHIVED:
        raise Conflict("Cuộc họp đã lưu trữ, không thể sửa.", code="meeting_archived")


def _visible_to(actor: Actor) -> Any:
    """The meetings `actor` may list (an SQL condition)."""
    if actor.is_attendee:
        return col(Meeting.id) == actor.meeting_id
    if actor.role == Role.ADMIN:
        return true()
    co_secretary = select(MeetingSecretary.meeting_id).where(
        MeetingSecretary.user_id == actor.user_id
    )
    return or_(
        col(Meeting.secretary_id) == actor.user_id,
        col(Meeting.chair_id) == actor.user_id,
        col(Meeting.id).in_(co_secretary),
    )


def search_meetings(
    session: Session,
    *,
    actor: Actor,
    filters: MeetingFilters,
    zone: tzinfo = UTC,
) -> tuple[list[Meeting], int]:
    """One page of the meetings `actor` may see, newest first, and how many match in all.
    Text matches title, kind, organiser and place without diacritics; dates are local days
    in `zone`; without a state filter archived meetings are left out."""
    conditions = [_visible_to(actor)]
    if filters.status is not None:
        conditions.append(col(Meeting.status) == filters.status)
    else:
        conditions.append(col(Meeting.status) != MeetingStatus.ARCHIVED)
    for word in fold(filters.q).split()[:8]:
        escaped = word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        conditions.append(col(Meeting.search_text).like(f"%{escaped}%", escape="\\"))
    if filters.date_from is not None:
        start = datetime.combine(filters.date_from, time.min, zone)
        conditions.append(col(Meeting.starts_at) >= start)
    if filters.date_to is not None:
        end = datetime.combine(filters.date_to + timedelta(days=1), time.min, zone)
        conditions.append(col(Meeting.starts_at) < end)
    total = session.exec(select(func.count()).select_from(Meeting).where(*conditions)).one()
    page = session.exec(
        select(Meeting)
        .where(*conditions)
        .order_by(
            col(Meeting.starts_at).is_(None),
            col(Meeting.starts_at).desc(),
            col(Meeting.id).desc(),
        )
        .offset((filters.page - 1) * filters.per_page)
        .limit(filters.per_page)
    )
    return list(page), int(total)


def _check_chair(session: Session, chair_id: int | None) -> None:
    if chair_id is None:
        return
    user = session.get(User, chair_id)
    if user is None or not user.is_active or user.role not in (Role.CHAIR, Role.ADMIN):
        raise Invalid("Chủ tọa phải là một tài khoản chủ tọa đang hoạt động.", field="chair_id")


def _check_secretaries(session: Session, user_ids: list[int]) -> list[int]:
    wanted = sorted(set(user_ids))
    if not wanted:
        return []
    found = session.exec(
        select(User.id).where(
            col(User.id).in_(wanted),
            col(User.is_active).is_(True),
            col(User.role).in_([Role.SECRETARY, Role.ADMIN]),
        )
    ).all()
    if len(found) != len(wanted):
        raise Invalid(
            "Thư ký cùng chuẩn bị phải là tài khoản thư ký đang hoạt động.", field="secretary_ids"
        )
    return wanted


def _check_times(starts_at: datetime | None, ends_at: datetime | None) -> None:
    if starts_at is not None and ends_at is not None and ends_at <= starts_at:
        raise Invalid(
            "Thời gian kết thúc phải sau thời gian bắt đầu.",
            code="ends_before_start",
            field="ends_at",
        )


def _refresh_search_text(meeting: Meeting) -> None:
    meeting.search_text = fold(
        " ".join((meeting.title, meeting.kind, meeting.organiser, meeting.location))
    )[:1000]


def _set_co_secretaries(meeting: Meeting, user_ids: list[int]) -> None:
    assert meeting.id is not None
    keep = set(user_ids) - {meeting.secretary_id}
    meeting.co_secretaries = [
        existing for existing in meeting.co_secretaries if existing.user_id in keep
    ] + [
        MeetingSecretary(meeting_id=meeting.id, user_id=user_id)
        for user_id in sorted(keep - {s.user_id for s in meeting.co_secretaries})
    ]


def create_meeting(session: Session, *, actor: Actor, data: MeetingCreate) -> Meeting:
    """Create a draft meeting; its creator becomes its secretary."""
    require_global(actor, Perm.CREATE_MEETING)
    _check_chair(session, data.chair_id)
    _check_times(data.starts_at, data.ends_at)
    secretaries = _check_secretaries(session, data.secretary_ids)
    meeting = Meeting(
        title=data.title,
        kind=data.kind,
        organiser=data.organiser,
        location=data.location,
        starts_at=data.starts_at,
        ends_at=data.ends_at,
        confidentiality=data.confidentiality,
        public_agenda=data.public_agenda,
        chair_id=data.chair_id,
        secretary_id=actor.user_id,
    )
    _refresh_search_text(meeting)
    session.add(meeting)
    session.flush()
    _set_co_secretaries(meeting, secretaries)
    session.flush()
    audit(session, actor, meeting_id=meeting.id, action="meeting.create", subject=meeting.title)
    return meeting


def update_meeting(
    session: Session, *, actor: Actor, meeting_id: int, data: MeetingUpdate
) -> Meeting:
    """Change the meeting's details; tablets see the new title at once. With `revision`, an
    edit started from an older revision than the stored one is refused (two secretaries)."""
    meeting = load_meeting(session, actor=actor, meeting_id=meeting_id, perm=Perm.EDIT_MEETING)
    require_editable(meeting)
    changes = data.model_dump(exclude_unset=True)
    expected = changes.pop("revision", None)
    if expected is not None and expected != meeting.revision:
        raise Conflict(
            "Người khác vừa sửa cuộc họp này. Hãy tải lại trang để xem thay đổi rồi sửa tiếp.",
            code="edit_conflict",
        )
    for required in ("title", "confidentiality", "public_agenda"):
        if required in changes and changes[required] is None:
            label = MeetingUpdate.model_fields[required].title
            raise Invalid(f"{label} không được để trống.", field=required)
    _check_times(
        changes.get("starts_at", meeting.starts_at), changes.get("ends_at", meeting.ends_at)
    )
    if "chair_id" in changes:
        _check_chair(session, changes["chair_id"])
        if changes["chair_id"] != meeting.chair_id and meeting.chair_id is not None:
            # The former chair's console must stop receiving this meeting.
            record(session, AccessRevoked(meeting_id=meeting_id, user_ids=(meeting.chair_id,)))
    before = {name: getattr(meeting, name) for name in changes if name != "secretary_ids"}
    if "secretary_ids" in changes:
        before["secretary_ids"] = sorted(meeting.secretary_ids - {meeting.secretary_id})
        wanted = _check_secretaries(session, changes.pop("secretary_ids") or [])
        dropped = tuple(sorted(meeting.secretary_ids - set(wanted) - {meeting.secretary_id}))
        _set_co_secretaries(meeting, wanted)
        if dropped:
            record(session, AccessRevoked(meeting_id=meeting_id, user_ids=dropped))
    moved = any(
        name in changes and changes[name] != getattr(meeting, name)
        for name in ("starts_at", "ends_at")
    )
    for name, value in changes.items():
        if name in ("kind", "organiser", "location"):
            value = value or ""
        setattr(meeting, name, value)
    if moved:
        record(session, MeetingRescheduled(meeting_id))
    _refresh_search_text(meeting)
    meeting.revision += 1
    session.add(meeting)
    after = {name: getattr(meeting, name) for name in before if name != "secretary_ids"}
    if "secretary_ids" in before:
        after["secretary_ids"] = sorted(meeting.secretary_ids - {meeting.secretary_id})
    audit(
        session,
        actor,
        meeting_id=meeting_id,
        action="meeting.update",
        subject=meeting.title,
        changes={name: (before[name], after[name]) for name in before},
    )
    touch(session, meeting_id)
    return meeting


def delete_meeting(session: Session, *, actor: Actor, meeting_id: int) -> None:
    """Delete a meeting that has not been held, with everything in it (the database cascades;
    features with files react to MeetingDeleting). A held meeting is archived instead."""
    meeting = load_meeting(session, actor=actor, meeting_id=meeting_id, perm=Perm.EDIT_MEETING)
    if meeting.status == MeetingStatus.LIVE:
        raise Conflict("Không thể xóa cuộc họp đang diễn ra.", code="meeting_live")
    if meeting.status in (MeetingStatus.ENDED, MeetingStatus.ARCHIVED):
        raise Conflict(
            "Cuộc họp đã diễn ra: hãy lưu trữ thay vì xóa, để giữ hồ sơ.", code="meeting_held"
        )
    record(session, MeetingDeleting(meeting_id))
    audit(session, actor, meeting_id=meeting_id, action="meeting.delete", subject=meeting.title)
    session.delete(meeting)
    session.flush()
    record(session, AccessRevoked(meeting_id=meeting_id))  # everyone connected to it
