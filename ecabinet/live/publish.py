"""The live feature's subscribers: push a changed meeting's state after its commit, and cut
the connections of people who lost access."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence

from sqlalchemy.orm import Session

from ecabinet.events import AccessRevoked, DomainEvent, EventBus
from ecabinet.live.state import Snapshot, SnapshotCache, advanced, snapshot
from ecabinet.meetings.events import MeetingChanged

log = logging.getLogger(__name__)
Emit = Callable[[Snapshot], None]


def install(
    bus: EventBus,
    emit: Emit,
    on_revoked: Callable[[list[AccessRevoked]], None],
    cache: SnapshotCache,
) -> None:
    """Subscribe the live pushes and the revocation sweep to one app's events."""

    @bus.in_transaction
    def snapshot_changed(
        session: Session, events: Sequence[DomainEvent]
    ) -> Callable[[], None] | None:
        # The snapshot is read inside the transaction, so it shows exactly what commits; it
        # is emitted only after the commit. A failed snapshot skips the push (tablets resync).
        changed: dict[int, list[MeetingChanged]] = {}
        for event in events:
            if isinstance(event, MeetingChanged):
                changed.setdefault(event.meeting_id, []).append(event)
        if not changed:
            return None
        try:
            states = [
                state
                for meeting_id in sorted(changed)
                if (state := _next_state(session, cache, changed[meeting_id])) is not None
            ]
        except Exception:
            log.exception("snapshot of meetings %s failed; nothing pushed", sorted(changed))
            return None

        def push() -> None:
            for state in states:
                cache.put(state)  # committed: joins at this version may use it from now on
                emit(state)

        return push

    @bus.after_commit
    def sweep_revoked(events: Sequence[DomainEvent]) -> None:
        revoked = [e for e in events if isinstance(e, AccessRevoked)]
        if revoked:
            on_revoked(revoked)


def _next_state(
    session: Session, cache: SnapshotCache, changes: list[MeetingChanged]
) -> Snapshot | None:
    """One change of live columns on top of a cached state is applied to it; anything else
    is read again from the transaction."""
    if len(changes) == 1 and (change := changes[0]).only is not None and change.version:
        previous = cache.get(change.meeting_id, change.version - 1)
        if previous is not None and (
            state := advanced(previous, change.version, change.only, change.items)
        ):
            return state
    return snapshot(session, changes[0].meeting_id)  # type: ignore[arg-type]  # a SQLModel session


def room_for(meeting_id: int) -> str:
    return f"meeting:{meeting_id}"
