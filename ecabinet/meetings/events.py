"""Events of the meetings feature."""

from __future__ import annotations

from dataclasses import dataclass

from ecabinet.events import DomainEvent


@dataclass(frozen=True)
class MeetingChanged(DomainEvent):
    """The meeting's version went up (meetings.service.touch): what its tablets and room
    screen show has changed and must be pushed."""

    meeting_id: int


@dataclass(frozen=True)
class MeetingDeleting(DomainEvent):
    """Recorded just before a meeting's rows go: features with files or other state outside
    the database clean up theirs (documents: blobs), after the commit."""

    meeting_id: int
