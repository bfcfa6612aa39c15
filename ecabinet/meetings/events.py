"""Events of the meetings feature."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ecabinet.events import DomainEvent


@dataclass(frozen=True)
class MeetingChanged(DomainEvent):
    """The meeting's version went up (meetings.service.touch): what its tablets and room
    screen show has changed and must be pushed."""

    meeting_id: int
    version: int | None = None  # the new version; None if the meeting row is gone
    # Set when the bump changed nothing but these meeting columns, to these values (the live
    # controls' one-statement path): a push may then build on the previous version's state.
    only: Mapping[str, Any] | None = None
    # With `only`: agenda item columns written in the same step, by item id (the timer's
    # spent seconds of the item the chair left).
    items: Mapping[int, Mapping[str, Any]] | None = None


@dataclass(frozen=True)
class MeetingDeleting(DomainEvent):
    """Recorded just before a meeting's rows go: features with files or other state outside
    the database clean up theirs (documents: blobs), after the commit."""

    meeting_id: int


@dataclass(frozen=True)
class MeetingRescheduled(DomainEvent):
    """The meeting's start or end moved: what is valid until a date after it (delegates'
    cards and tablets) follows, in the same transaction."""

    meeting_id: int
