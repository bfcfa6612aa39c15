"""One entry point for every live control, shared by the HTTP API and the socket namespace.
Called inside an app context (rate limits live on the app)."""

from __future__ import annotations

from typing import Literal

from sqlmodel import Session

from ecabinet import limits
from ecabinet.actor import Actor
from ecabinet.live import service
from ecabinet.live.schemas import ControlArgs, LiveResult

Action = Literal[
    "start", "next", "previous", "jump", "pause", "resume", "end", "announce", "present"
]
ACTIONS: tuple[Action, ...] = (
    "start",
    "next",
    "previous",
    "jump",
    "pause",
    "resume",
    "end",
    "announce",
    "present",
)


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
    args: ControlArgs | None = None,
) -> LiveResult:
    """Apply `action` in the caller's write transaction (the one that also re-checked who is
    asking); the new state is pushed after its commit. `args` carries what jump (item_id),
    announce (text) and present (document_id, page) need, validated by the caller."""
    args = args or ControlArgs()
    if action == "start":
        meeting = service.start_meeting(session, actor=actor, meeting_id=meeting_id)
    elif action in ("next", "previous"):
        delta = 1 if action == "next" else -1
        meeting = service.step(session, actor=actor, meeting_id=meeting_id, delta=delta)
    elif action == "jump":
        assert args.item_id is not None  # JumpRequest requires it
        meeting = service.jump_to(session, actor=actor, meeting_id=meeting_id, item_id=args.item_id)
    elif action == "pause":
        meeting = service.pause_meeting(session, actor=actor, meeting_id=meeting_id)
    elif action == "resume":
        meeting = service.resume_meeting(session, actor=actor, meeting_id=meeting_id)
    elif action == "announce":
        meeting = service.announce(
            session, actor=actor, meeting_id=meeting_id, text=args.text or ""
        )
    elif action == "present":
        meeting = service.present(
            session,
            actor=actor,
            meeting_id=meeting_id,
            document_id=args.document_id,
            page=args.page or 1,
        )
    else:
        meeting = service.end_meeting(session, actor=actor, meeting_id=meeting_id)
    return LiveResult(
        meeting_id=meeting.id,
        status=meeting.status,
        current_item_id=meeting.current_item_id,
        version=meeting.version,
        paused=meeting.paused_at is not None,
    )
