"""After-commit pushes: snapshots are taken before commit and emitted only once it succeeded."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session

from ecabinet.db import ACCESS_CHANGED_KEY
from ecabinet.live.state import MeetingState, snapshot
from ecabinet.meetings.service import TOUCHED_KEY

PENDING_KEY = "pending_states"
Emit = Callable[[MeetingState], None]


def install(
    sessions: sessionmaker[Session], emit: Emit, on_access_change: Callable[[], None]
) -> None:
    """Hook one app's sessions: touched meetings are pushed after their commit, and live
    connections are re-checked after a commit that may have taken someone's access away."""

    def collect(session: Any) -> None:
        touched: set[int] = session.info.pop(TOUCHED_KEY, set())
        states = [s for mid in sorted(touched) if (s := snapshot(session, mid)) is not None]
        if states:
            session.info.setdefault(PENDING_KEY, []).extend(states)

    def push(session: Any) -> None:
        for state in session.info.pop(PENDING_KEY, []):
            emit(state)
        if session.info.pop(ACCESS_CHANGED_KEY, False):
            on_access_change()

    def drop(session: Any) -> None:
        session.info.pop(PENDING_KEY, None)
        session.info.pop(TOUCHED_KEY, None)
        session.info.pop(ACCESS_CHANGED_KEY, None)

    event.listen(sessions, "before_commit", collect)
    event.listen(sessions, "after_commit", push)
    event.listen(sessions, "after_rollback", drop)


def room_for(meeting_id: int) -> str:
    return f"meeting:{meeting_id}"
