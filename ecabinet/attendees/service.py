"""Attendees of a meeting."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select as sa_select
from sqlmodel import Session, col, func, select

from ecabinet.actor import Actor
from ecabinet.attendees.models import Attendee, search_text
from ecabinet.attendees.phones import normalise_phone
from ecabinet.attendees.schemas import AttendeeCreate, AttendeeUpdate
from ecabinet.errors import Conflict, Invalid, NotFound
from ecabinet.events import AccessRevoked, audit, record
from ecabinet.meetings import service as meetings
from ecabinet.permissions import Perm, meeting_perms
from ecabinet.text import fold

DEFAULT_MAX_ATTENDEES = 60_000  # config MAX_ATTENDEES_PER_MEETING


def list_attendees(session: Session, meeting_id: int) -> list[Attendee]:
    """Every attendee with every field: for services, never shown to a user as it is."""
    query = select(Attendee).where(Attendee.meeting_id == meeting_id)
    return list(session.exec(query.order_by(col(Attendee.id))))


@dataclass(frozen=True)
class AttendeeView:
    """An attendee as one viewer may see them; `phone` is None for those without contacts."""

    id: int
    meeting_id: int
    full_name: str
    position: str
    unit: str
    role: str
    phone: str | None


def list_attendees_for(
    session: Session,
    *,
    actor: Actor,
    meeting_id: int,
    offset: int = 0,
    limit: int | None = None,
    search: str = "",
) -> list[AttendeeView]:
    """The attendee list (or one page of it, in list order; with `search`, those it matches)
    as `actor` may see it. The one rule for pages and the API alike: staff of the meeting
    see who attends; phone numbers only those who may contact them."""
    meeting = meetings.load_meeting(
        session, actor=actor, meeting_id=meeting_id, perm=Perm.VIEW_ATTENDEES
    )
    contacts = Perm.VIEW_CONTACTS in meeting_perms(actor, meeting)
    # Plain rows, not ORM objects: a congress's list is 50,000 of them.
    query = (
        sa_select(
            col(Attendee.id),
            col(Attendee.full_name),
            col(Attendee.position),
            col(Attendee.unit),
            col(Attendee.role),
            col(Attendee.phone),
        )
        .where(col(Attendee.meeting_id) == meeting_id, *_matching(search))
        .order_by(col(Attendee.id))
        .offset(offset)
        .limit(limit)
    )
    return [
        AttendeeView(
            id=row.id,
            meeting_id=meeting_id,
            full_name=row.full_name,
            position=row.position,
            unit=row.unit,
            role=row.role,
            phone=row.phone if contacts else None,
        )
        for row in session.execute(query)
    ]


def count_attendees(session: Session, meeting_id: int, search: str = "") -> int:
    return int(
        session.exec(
            select(func.count())
            .select_from(Attendee)
            .where(Attendee.meeting_id == meeting_id, *_matching(search))
        ).one()
    )


def _matching(search: str) -> list[Any]:
    """Conditions for a search: every word typed, without diacritics, somewhere in the
    name, position, unit or phone (a 50,000 list: one LIKE each, no index needed)."""
    conditions = []
    # "+84912..." as stored matches as typed: the "+" is not kept in search_text.
    for word in fold(search.replace("+", " ")).split()[:8]:
        escaped = word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        conditions.append(col(Attendee.search_text).like(f"%{escaped}%", escape="\\"))
    return conditions


def get_attendee(session: Session, *, actor: Actor, attendee_id: int, perm: Perm) -> Attendee:
    attendee = session.get(Attendee, attendee_id)
    if attendee is None:
        raise NotFound("Không tìm thấy đại biểu.", code="attendee_not_found")
    try:
        meetings.load_meeting(session, actor=actor, meeting_id=attendee.meeting_id, perm=perm)
    except NotFound:
        raise NotFound("Không tìm thấy đại biểu.", code="attendee_not_found") from None
    return attendee


def _check_phone_unique(
    session: Session, meeting_id: int, phone: str, exclude_id: int | None = None
) -> None:
    if not phone:
        return
    query = select(Attendee.id).where(Attendee.meeting_id == meeting_id, Attendee.phone == phone)
    if exclude_id is not None:
        query = query.where(Attendee.id != exclude_id)
    if session.exec(query).first() is not None:
        raise Conflict("Số điện thoại đã có trong danh sách.", code="phone_taken", field="phone")


def add_attendee(
    session: Session,
    *,
    actor: Actor,
    meeting_id: int,
    data: AttendeeCreate,
    max_attendees: int = DEFAULT_MAX_ATTENDEES,
) -> Attendee:
    meeting = meetings.load_meeting(
        session, actor=actor, meeting_id=meeting_id, perm=Perm.EDIT_MEETING
    )
    meetings.require_editable(meeting)
    count = session.exec(
        select(func.count()).select_from(Attendee).where(Attendee.meeting_id == meeting_id)
    ).one()
    if count >= max_attendees:
        raise Conflict(
            f"Danh sách đại biểu đã đủ {max_attendees} người, mức tối đa của một cuộc họp.",
            code="attendees_full",
        )
    phone = normalise_phone(data.phone)
    _check_phone_unique(session, meeting_id, phone)
    attendee = Attendee(
        meeting_id=meeting_id,
        full_name=data.full_name,
        position=data.position,
        unit=data.unit,
        phone=phone,
        role=data.role,
        search_text=search_text(data.full_name, data.position, data.unit, phone),
    )
    session.add(attendee)
    session.flush()
    audit(session, actor, meeting_id=meeting_id, action="attendee.add", subject=data.full_name)
    return attendee


def update_attendee(
    session: Session, *, actor: Actor, attendee_id: int, data: AttendeeUpdate
) -> Attendee:
    attendee = get_attendee(session, actor=actor, attendee_id=attendee_id, perm=Perm.EDIT_MEETING)
    meetings.require_editable(meetings.get_meeting(session, attendee.meeting_id))
    changes = data.model_dump(exclude_unset=True)
    if "full_name" in changes and changes["full_name"] is None:
        raise Invalid("Họ và tên không được để trống.", field="full_name")
    if "phone" in changes:
        changes["phone"] = normalise_phone(changes["phone"] or "")
        _check_phone_unique(session, attendee.meeting_id, changes["phone"], attendee.id)
    before = {name: getattr(attendee, name) for name in changes}
    for name, value in changes.items():
        setattr(attendee, name, "" if value is None else value)
    attendee.search_text = search_text(
        attendee.full_name, attendee.position, attendee.unit, attendee.phone
    )
    session.add(attendee)
    session.flush()
    audit(
        session,
        actor,
        meeting_id=attendee.meeting_id,
        action="attendee.update",
        subject=attendee.full_name,
        changes={name: (before[name], getattr(attendee, name)) for name in before},
    )
    return attendee


def delete_attendee(session: Session, *, actor: Actor, attendee_id: int) -> None:
    """Remove an attendee; their tokens go with them (ON DELETE CASCADE)."""
    attendee = get_attendee(session, actor=actor, attendee_id=attendee_id, perm=Perm.EDIT_MEETING)
    meetings.require_editable(meetings.get_meeting(session, attendee.meeting_id))
    meeting_id = attendee.meeting_id
    audit(
        session, actor, meeting_id=meeting_id, action="attendee.delete", subject=attendee.full_name
    )
    session.delete(attendee)
    session.flush()
    record(session, AccessRevoked(meeting_id=meeting_id, attendee_ids=(attendee_id,)))
