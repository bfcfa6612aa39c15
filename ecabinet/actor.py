"""Who is asking: a staff user or an attendee holding a token. Plain data, no Flask."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum


class Role(StrEnum):
    ADMIN = "admin"
    SECRETARY = "secretary"
    CHAIR = "chair"


@dataclass(frozen=True, slots=True)
class Actor:
    """The authenticated party of one request or socket event."""

    user_id: int | None = None
    role: Role | None = None
    attendee_id: int | None = None
    meeting_id: int | None = None  # set for attendees: the one meeting their token opens
    device_id: int | None = None  # an attendee's tablet (pickup.devices), when known
    # A paired room screen (live.screens): neither staff nor attendee; it may only watch
    # its meeting's room (Perm.VIEW_ROOM). meeting_id names that meeting.
    screen_id: int | None = None
    name: str = ""
    # When the credential behind this actor stops holding (a token's expiry); None: no fixed
    # end. Open sockets are cut at that moment, not at their next event.
    valid_until: datetime | None = None
    # The command line, the demo seeder and background jobs: an administrator with no
    # account, so nothing it writes points at a user row that does not exist.
    system: bool = False

    def until(self, valid_until: datetime) -> Actor:
        return replace(self, valid_until=valid_until)

    @property
    def is_staff(self) -> bool:
        return self.user_id is not None or self.system

    @property
    def is_attendee(self) -> bool:
        return self.attendee_id is not None

    @property
    def is_screen(self) -> bool:
        return self.screen_id is not None

    @classmethod
    def staff(cls, user_id: int, role: Role, name: str = "") -> Actor:
        return cls(user_id=user_id, role=role, name=name)

    @classmethod
    def attendee(cls, attendee_id: int, meeting_id: int, name: str = "") -> Actor:
        return cls(attendee_id=attendee_id, meeting_id=meeting_id, name=name)

    @classmethod
    def screen(cls, screen_id: int, meeting_id: int, name: str = "") -> Actor:
        return cls(screen_id=screen_id, meeting_id=meeting_id, name=name)


# The command line, the demo seeder and jobs act as the system: an administrator whose
# user_id is None, so it never lands in a foreign-key column (user 0 did, and failed).
SYSTEM = Actor(role=Role.ADMIN, name="system", system=True)
