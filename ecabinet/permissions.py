"""The permission matrix: who may do what, globally and per meeting. Pure Python."""

from __future__ import annotations

from enum import StrEnum
from typing import Protocol

from ecabinet.actor import Actor, Role
from ecabinet.errors import Forbidden, NotFound, Unauthorized

# Set on every route view and socket handler by its gate; the security matrix test reads it.
PERM_ATTR = "_ecabinet_perm"


class Perm(StrEnum):
    PUBLIC = "public"  # anyone, signed in or not
    ATTENDEE = "attendee"  # a delegate holding a valid token
    STAFF = "staff"  # any signed-in staff user
    VIEW_MEETING = "meeting.view"  # staff of the meeting, or its attendees
    # The room as its screen shows it (agenda, current item, timer, announcement; no
    # document): everyone who may view the meeting, and the meeting's paired room screens.
    VIEW_ROOM = "room.view"
    EDIT_MEETING = "meeting.edit"  # the meeting's secretary: agenda, documents, attendees
    # The agenda: its secretaries, and its chair while the meeting is live (console edits).
    EDIT_AGENDA = "agenda.edit"
    CREATE_MEETING = "meeting.create"
    CONTROL_LIVE = "live.control"  # the meeting's chair or secretary
    VIEW_ATTENDEES = "attendees.view"  # staff of the meeting: names, positions, units
    VIEW_CONTACTS = "attendees.contacts"  # attendees' phone numbers: secretary and admins
    MANAGE_USERS = "users.manage"


# Who may reach a route at all; the meeting-scoped part is checked by the service.
ROUTE_AUDIENCE: dict[Perm, frozenset[str]] = {
    Perm.PUBLIC: frozenset({"anonymous", "staff", "attendee", "screen"}),
    Perm.ATTENDEE: frozenset({"attendee"}),
    Perm.STAFF: frozenset({"staff"}),
    Perm.VIEW_MEETING: frozenset({"staff", "attendee"}),
    Perm.VIEW_ROOM: frozenset({"staff", "attendee", "screen"}),
    Perm.EDIT_MEETING: frozenset({"staff"}),
    Perm.EDIT_AGENDA: frozenset({"staff"}),
    Perm.CREATE_MEETING: frozenset({"staff"}),
    Perm.CONTROL_LIVE: frozenset({"staff"}),
    Perm.VIEW_ATTENDEES: frozenset({"staff"}),
    Perm.VIEW_CONTACTS: frozenset({"staff"}),
    Perm.MANAGE_USERS: frozenset({"staff"}),
}


class MeetingLike(Protocol):
    @property
    def id(self) -> int | None: ...
    @property
    def secretary_id(self) -> int | None: ...
    @property
    def chair_id(self) -> int | None: ...
    @property
    def secretary_ids(self) -> frozenset[int]: ...  # secretary_id and the co-secretaries
    @property
    def status(self) -> str: ...


def audience_of(actor: Actor | None) -> str:
    if actor is None:
        return "anonymous"
    if actor.is_screen:
        return "screen"
    return "staff" if actor.is_staff else "attendee"


def check_route(actor: Actor | None, perm: Perm) -> None:
    """Coarse gate in front of every route and socket event."""
    if audience_of(actor) in ROUTE_AUDIENCE[perm]:
        return
    if actor is None:
        raise Unauthorized()
    raise Forbidden()


def meeting_perms(actor: Actor, meeting: MeetingLike) -> frozenset[Perm]:
    if actor.is_screen:
        return frozenset({Perm.VIEW_ROOM}) if actor.meeting_id == meeting.id else frozenset()
    if actor.is_attendee:
        if actor.meeting_id != meeting.id:
            return frozenset()
        return frozenset({Perm.VIEW_MEETING, Perm.VIEW_ROOM})
    secretary = frozenset(
        {
            Perm.VIEW_MEETING,
            Perm.VIEW_ROOM,
            Perm.EDIT_MEETING,
            Perm.EDIT_AGENDA,
            Perm.CONTROL_LIVE,
            Perm.VIEW_ATTENDEES,
            Perm.VIEW_CONTACTS,
        }
    )
    if actor.role == Role.ADMIN:
        return secretary
    perms: set[Perm] = set()
    if actor.user_id is not None and actor.user_id in meeting.secretary_ids:
        perms |= secretary
    if actor.user_id is not None and meeting.chair_id == actor.user_id:
        perms |= {Perm.VIEW_MEETING, Perm.VIEW_ROOM, Perm.CONTROL_LIVE, Perm.VIEW_ATTENDEES}
        if meeting.status == "live":  # MeetingStatus.LIVE (meetings imports this module)
            perms.add(Perm.EDIT_AGENDA)
    return frozenset(perms)


def require_meeting(actor: Actor, meeting: MeetingLike, perm: Perm) -> None:
    """Outsiders get NotFound (existence is not revealed); insiders without the right, Forbidden."""
    granted = meeting_perms(actor, meeting)
    if Perm.VIEW_MEETING not in granted and Perm.VIEW_ROOM not in granted:
        raise NotFound("Không tìm thấy cuộc họp.", code="meeting_not_found")
    if perm not in granted:
        raise Forbidden()


def require_global(actor: Actor, perm: Perm) -> None:
    allowed = {
        Perm.CREATE_MEETING: {Role.ADMIN, Role.SECRETARY},
        Perm.MANAGE_USERS: {Role.ADMIN},
        Perm.STAFF: {Role.ADMIN, Role.SECRETARY, Role.CHAIR},
    }[perm]
    if not actor.is_staff or actor.role not in allowed:
        raise Forbidden()
