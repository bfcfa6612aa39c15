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
    name: str = ""
    # When the credential behind this actor stops holding (a token's expiry); None: no fixed
    # end. Open sockets are cut at that moment, not at their next event.
    valid_until: datetime | None = None

    def until(self, valid_until: datetime) -> Actor:
        return replace(self, valid_until=valid_until)

    @property
    def is_staff(self) -> bool:
        return self.user_id is not None

    @property
    def is_attendee(self) -> bool:
        return self.attendee_id is not None

    @classmethod
    def staff(cls, user_id: int, role: Role, name: str = "") -> Actor:
        return cls(user_id=user_id, role=role, name=name)

    @classmethod
    def attendee(cls, attendee_id: int, meeting_id: int, name: str = "") -> Actor:
        return cls(attendee_id=attendee_id, meeting_id=meeting_id, name=name)


# The command line and the demo seeder act as the system administrator.
SYSTEM = Actor(user_id=0, role=Role.ADMIN, name="system")
