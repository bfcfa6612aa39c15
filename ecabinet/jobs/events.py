"""Events of the jobs feature."""

from __future__ import annotations

from dataclasses import dataclass

from ecabinet.events import DomainEvent


@dataclass(frozen=True)
class JobQueued(DomainEvent):
    """A job became due (new, retried or released): an in-process runner wakes at once."""

    job_id: int  # 0 when many were queued at once (enqueue_many)
    kind: str
