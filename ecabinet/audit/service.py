"""Writing the record (an in-transaction subscriber) and reading it."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import insert
from sqlalchemy.orm import Session as OrmSession
from sqlmodel import Session, col, func, select

from ecabinet.actor import Actor
from ecabinet.audit.models import AuditEntry
from ecabinet.events import Audited, DomainEvent, EventBus
from ecabinet.meetings import service as meetings
from ecabinet.meetings.models import Meeting, MeetingStatus
from ecabinet.permissions import Perm
from ecabinet.timeutil import utcnow


def install(bus: EventBus) -> None:
    @bus.in_transaction
    def write(session: OrmSession, events: Sequence[DomainEvent]) -> Callable[[], None] | None:
        audited = [e for e in events if isinstance(e, Audited)]
        if not audited:
            return None
        now = utcnow()
        statuses: dict[int, str] = {}
        for event in audited:
            if event.meeting_id is not None and event.meeting_id not in statuses:
                meeting = session.get(Meeting, event.meeting_id)
                statuses[event.meeting_id] = meeting.status if meeting is not None else ""
        session.execute(
            insert(AuditEntry),
            [
                {
                    "meeting_id": e.meeting_id if statuses.get(e.meeting_id or 0) else None,
                    "at": now,
                    "actor_id": e.actor_id,
                    "actor_name": e.actor_name[:200],
                    "action": e.action,
                    "subject": e.subject,
                    # The state at the commit; publishing itself happens to a draft.
                    "after_publishing": e.action != "meeting.publish"
                    and statuses.get(e.meeting_id or 0, "") not in ("", MeetingStatus.DRAFT),
                    "changes": json.dumps([list(c) for c in e.changes], ensure_ascii=False),
                }
                for e in audited
            ],
        )
        return None


@dataclass(frozen=True)
class Entry:
    at: datetime
    actor_name: str
    action: str
    subject: str
    after_publishing: bool
    changes: list[tuple[str, str, str]]


def meeting_log(
    session: Session, *, actor: Actor, meeting_id: int, offset: int = 0, limit: int = 100
) -> tuple[list[Entry], int]:
    """A meeting's record, newest first, for those who prepare it; and how many in all."""
    meetings.load_meeting(session, actor=actor, meeting_id=meeting_id, perm=Perm.EDIT_MEETING)
    where = col(AuditEntry.meeting_id) == meeting_id
    total = session.exec(select(func.count()).select_from(AuditEntry).where(where)).one()
    rows = session.exec(
        select(AuditEntry)
        .where(where)
        .order_by(col(AuditEntry.id).desc())
        .offset(offset)
        .limit(limit)
    )
    entries = [
        Entry(
            row.at,
            row.actor_name,
            row.action,
            row.subject,
            row.after_publishing,
            [tuple(c) for c in json.loads(row.changes)],
        )
        for row in rows
    ]
    return entries, int(total)
