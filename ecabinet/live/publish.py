"""The live feature's subscribers: push a changed meeting's state after its commit, and cut
the connections of people who lost access."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence

from sqlalchemy.orm import Session

from ecabinet.events import AccessRevoked, DomainEvent, EventBus
from ecabinet.live.state import Snapshot, snapshot
from ecabinet.meetings.events import MeetingChanged

log = logging.getLogger(__name__)
Emit = Callable[[Snapshot], None]


def install(bus: EventBus, emit: Emit, on_revoked: Callable[[list[AccessRevoked]], None]) -> None:
    """Subscribe the live pushes and the revocation sweep to one app's events."""

    @bus.in_transaction
    def snapshot_changed(
        session: Session, events: Sequence[DomainEvent]
    ) -> Callable[[], None] | None:
        # The snapshot is read inside the transaction, so it shows exactly what commits; it
        # is emitted only after the commit. A failed snapshot skips the push (tablets resync).
        meeting_ids = sorted({e.meeting_id for e in events if isinstance(e, MeetingChanged)})
        if not meeting_ids:
            return None
        try:
            states = [s for mid in meeting_ids if (s := snapshot(session, mid)) is not None]  # type: ignore[arg-type]  # a SQLModel session
        except Exception:
            log.exception("snapshot of meetings %s failed; nothing pushed", meeting_ids)
            return None

        def push() -> None:
            for state in states:
                emit(state)

        return push

    @bus.after_commit
    def sweep_revoked(events: Sequence[DomainEvent]) -> None:
        revoked = [e for e in events if isinstance(e, AccessRevoked)]
        if revoked:
            on_revoked(revoked)


def room_for(meeting_id: int) -> str:
    return f"meeting:{meeting_id}"
