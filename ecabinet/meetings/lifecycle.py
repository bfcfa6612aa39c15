"""A meeting's lifecycle: draft → published → live → ended → archived.

What each state allows (docs/meetings.md has the table):
- draft: everything can be prepared and changed; it can be started (which publishes it) or
  deleted.
- published: the same; its changes are what notices will announce; back to draft if it has
  not started.
- live: the chair moves through the agenda; preparation can still change (a late document).
- ended: read-only; it can be archived, not deleted (it is the record of what happened).
- archived: read-only and out of the default list; delegates' links stop working.

Starting and ending belong to live.service (they move the current item too); this module
owns the other transitions.
"""

from __future__ import annotations

from sqlmodel import Session

from ecabinet.actor import Actor
from ecabinet.errors import Conflict
from ecabinet.events import AccessRevoked, audit, record
from ecabinet.meetings.models import STATUS_LABELS, Meeting, MeetingStatus
from ecabinet.meetings.service import load_meeting, touch
from ecabinet.permissions import Perm

# action: (states it may start from, the state it leads to)
TRANSITIONS: dict[str, tuple[frozenset[MeetingStatus], MeetingStatus]] = {
    "publish": (frozenset({MeetingStatus.DRAFT}), MeetingStatus.PUBLISHED),
    "unpublish": (frozenset({MeetingStatus.PUBLISHED}), MeetingStatus.DRAFT),
    "archive": (frozenset({MeetingStatus.ENDED}), MeetingStatus.ARCHIVED),
}


def transition(session: Session, *, actor: Actor, meeting_id: int, action: str) -> Meeting:
    """Apply one of TRANSITIONS, or Conflict saying why not."""
    allowed_from, target = TRANSITIONS[action]
    meeting = load_meeting(session, actor=actor, meeting_id=meeting_id, perm=Perm.EDIT_MEETING)
    current = MeetingStatus(meeting.status)
    if current not in allowed_from:
        raise Conflict(
            f"Không thể chuyển cuộc họp từ “{STATUS_LABELS[current]}” sang "
            f"“{STATUS_LABELS[target]}”.",
            code="invalid_transition",
        )
    if target == MeetingStatus.PUBLISHED and meeting.starts_at is None:
        raise Conflict(  # the meeting's state, not this request, is what is missing
            "Hãy nhập thời gian bắt đầu trước khi công bố.",
            code="starts_at_required",
            field="starts_at",
        )
    audit(
        session,
        actor,
        meeting_id=meeting_id,
        action=f"meeting.{action}",
        subject=meeting.title,
        changes={"status": (STATUS_LABELS[current], STATUS_LABELS[target])},
    )
    meeting.status = target
    session.add(meeting)
    touch(session, meeting_id)
    if target == MeetingStatus.ARCHIVED:
        record(session, AccessRevoked(meeting_id=meeting_id))  # delegates' links end here
    return meeting


def publish(session: Session, *, actor: Actor, meeting_id: int) -> Meeting:
    return transition(session, actor=actor, meeting_id=meeting_id, action="publish")


def unpublish(session: Session, *, actor: Actor, meeting_id: int) -> Meeting:
    return transition(session, actor=actor, meeting_id=meeting_id, action="unpublish")


def archive(session: Session, *, actor: Actor, meeting_id: int) -> Meeting:
    return transition(session, actor=actor, meeting_id=meeting_id, action="archive")
