"""One entry point for every live control, shared by the HTTP API and the socket namespace.
Called inside an app context (rate limits live on the app)."""

from __future__ import annotations

from typing import Literal

from sqlmodel import Session

from ecabinet import limits
from ecabinet.actor import Actor
from ecabinet.live import service
from ecabinet.live.schemas import LiveResult

Action = Literal["start", "next", "previous", "jump", "end"]


def control_limit(actor: Actor, meeting_id: int) -> None:
    """One budget per person and meeting, over HTTP and every socket they open: a stuck
    button or a script must not flood every tablet with pushes."""
    if actor.system:
        who = "system"
    else:
        who = f"user:{actor.user_id}" if actor.is_staff else f"attendee:{actor.attendee_id}"
    limits.hit("LIVE_CONTROL_LIMIT", who, str(meeting_id))


def run_control(
    session: Session,
    *,
    actor: Actor,
    meeting_id: int,
    action: Action,
    item_id: int | None = None,
) -> LiveResult:
    """Apply `action` in the caller's write transaction (the one that also re-checked who is
    asking); the new state is pushed after its commit."""
    if action == "start":
        meeting = service.start_meeting(session, actor=actor, meeting_id=meeting_id)
    elif action == "next":
        meeting = service.step(session, actor=actor, meeting_id=meeting_id, delta=1)
    elif action == "previous":
        meeting = service.step(session, actor=actor, meeting_id=meeting_id, delta=-1)
    elif action == "jump":
        assert item_id is not None
        meeting = service.jump_to(session, actor=actor, meeting_id=meeting_id, item_id=item_id)
    else:
        meeting = service.end_meeting(session, actor=actor, meeting_id=meeting_id)
    assert meeting.id is not None
    return LiveResult(
        meeting_id=meeting.id,
        status=meeting.status,
        current_item_id=meeting.current_item_id,
        version=meeting.version,
    )
