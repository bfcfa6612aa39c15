"""Events of the notify feature."""

from __future__ import annotations

from dataclasses import dataclass

from ecabinet.events import DomainEvent


@dataclass(frozen=True)
class SmsChanged(DomainEvent):
    """A message of this meeting changed state (or a reply came): the secretary's page of
    messages refreshes its counts."""

    meeting_id: int | None
