"""Messages that follow the meeting by themselves, once its invitations have gone out:

- a reminder before it starts (a durable job due SMS_REMINDER_HOURS before the start; moving
  the meeting queues one for the new time and the old one finds it stale and sends nothing);
- one change notice per delegate for the edits a secretary makes within a window
  (SMS_CHANGE_WINDOW_MINUTES): the first edit queues the notice's job for the window's end,
  later edits in the window find it queued, and the notice lists what they changed;
- nothing more for a deleted meeting: its messages still waiting are withdrawn.

Only delegates who were sent the invitation get these, and only while the meeting is
published (an agenda edited during the session is not texted to the room).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import update
from sqlalchemy.orm import Session as OrmSession
from sqlmodel import Session, col, select

from ecabinet.actor import SYSTEM
from ecabinet.attendees.models import Attendee
from ecabinet.audit.models import AuditEntry
from ecabinet.db import Database
from ecabinet.errors import AppError
from ecabinet.events import Audited, DomainEvent
from ecabinet.jobs import service as jobs
from ecabinet.jobs.service import ClaimedJob
from ecabinet.meetings.events import MeetingDeleting, MeetingRescheduled
from ecabinet.meetings.models import Meeting, MeetingStatus
from ecabinet.notify import service
from ecabinet.notify.models import SmsKind, SmsMessage, SmsState
from ecabinet.timeutil import utcnow

log = logging.getLogger(__name__)

REMIND_JOB = service.REMIND_JOB  # queued by service.schedule_reminder, handled here
CHANGE_JOB = "notify.change"
# What a delegate is told about; attendee edits, uploads' processing and the like are not.
NOTICED = ("meeting.update", "agenda.add", "agenda.update", "agenda.delete", "agenda.move")
DOCUMENTS = ("document.add", "document.revise")
MAX_SUMMARY = 300


@dataclass(frozen=True)
class FollowSettings:
    reminder_lead: timedelta | None  # None: no reminders
    change_window: timedelta | None  # None: no change notices

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> FollowSettings:
        hours = float(config["SMS_REMINDER_HOURS"])
        minutes = float(config["SMS_CHANGE_WINDOW_MINUTES"])
        return cls(
            reminder_lead=timedelta(hours=hours) if hours > 0 else None,
            change_window=timedelta(minutes=minutes) if minutes > 0 else None,
        )


def invited(session: Session | OrmSession, meeting_id: int) -> list[int]:
    """Attendees who were sent this meeting's invitation (and are still on its list)."""
    rows = session.execute(
        select(SmsMessage.attendee_id)
        .join(Attendee, col(Attendee.id) == col(SmsMessage.attendee_id))
        .where(
            SmsMessage.meeting_id == meeting_id,
            SmsMessage.kind == SmsKind.INVITATION,
            col(SmsMessage.state) != SmsState.CANCELLED,
        )
        .distinct()
    ).scalars()
    return sorted(a for a in rows if a is not None)


def follow_meetings(
    settings: FollowSettings,
) -> Callable[[OrmSession, Sequence[DomainEvent]], None]:
    """The in-transaction subscriber: withdraws, reschedules and coalesces with the change."""

    def handle(session: OrmSession, events: Sequence[DomainEvent]) -> None:
        deleted = {e.meeting_id for e in events if isinstance(e, MeetingDeleting)}
        moved = {e.meeting_id for e in events if isinstance(e, MeetingRescheduled)} - deleted
        changed = {
            e.meeting_id
            for e in events
            if isinstance(e, Audited)
            and e.meeting_id is not None
            and e.action in (*NOTICED, *DOCUMENTS)
        } - deleted
        for meeting_id in moved | changed:
            meeting = session.get(Meeting, meeting_id)
            if meeting is None or meeting.status != MeetingStatus.PUBLISHED:
                continue
            if not invited(session, meeting_id):
                continue
            if meeting_id in moved:
                service.schedule_reminder(session, meeting, settings.reminder_lead)
            if meeting_id in changed and settings.change_window is not None:
                _schedule_change(session, meeting_id, settings.change_window)

    return handle


def withdraw_when_deleted(session: OrmSession, happened: DomainEvent) -> None:
    """On record, before the meeting's rows go (its messages then lose their meeting id):
    the messages still waiting are withdrawn; a cancellation notice still goes."""
    if not isinstance(happened, MeetingDeleting):
        return
    session.execute(
        update(SmsMessage)
        .where(
            col(SmsMessage.meeting_id) == happened.meeting_id,
            col(SmsMessage.state) == SmsState.QUEUED,
            col(SmsMessage.kind) != SmsKind.CANCELLATION,
        )
        .values(
            state=SmsState.CANCELLED,
            detail="Cuộc họp đã bị xóa: tin không gửi nữa.",
            updated_at=utcnow(),
        )
    )


def _schedule_change(session: OrmSession, meeting_id: int, window: timedelta) -> None:
    now = utcnow()
    seconds = max(1, int(window.total_seconds()))
    bucket = int(now.timestamp()) // seconds
    start = datetime.fromtimestamp(bucket * seconds, tz=now.tzinfo)
    end = start + window
    jobs.enqueue(
        session,  # type: ignore[arg-type]
        CHANGE_JOB,
        {"meeting_id": meeting_id, "since": start.isoformat(), "until": end.isoformat()},
        key=f"{CHANGE_JOB}:{meeting_id}:{bucket}",
        run_at=end,
        priority=service.PRIORITY,
    )


class Follower:
    """The job handlers: the reminder and the change notice, queued as SYSTEM."""

    def __init__(self, database: Database, settings: Callable[[], service.NotifySettings]) -> None:
        self.database = database
        self.settings = settings

    def remind_job(self, job: ClaimedJob) -> None:
        meeting_id = int(job.payload["meeting_id"])
        with self.database.unit_of_work() as session:
            meeting = session.get(Meeting, meeting_id)
            if meeting is None or meeting.status != MeetingStatus.PUBLISHED:
                return
            if (
                meeting.starts_at is None
                or meeting.starts_at.isoformat() != job.payload["starts_at"]
            ):
                return  # moved since: the reminder for the new time is its own job
            self._queue(session, meeting_id, SmsKind.REMINDER, "", f"s{job.payload['starts_at']}")

    def change_job(self, job: ClaimedJob) -> None:
        meeting_id = int(job.payload["meeting_id"])
        since = datetime.fromisoformat(job.payload["since"])
        until = datetime.fromisoformat(job.payload["until"])
        with self.database.unit_of_work() as session:
            meeting = session.get(Meeting, meeting_id)
            if meeting is None or meeting.status != MeetingStatus.PUBLISHED:
                return
            entries = list(
                session.exec(
                    select(AuditEntry)
                    .where(
                        AuditEntry.meeting_id == meeting_id,
                        col(AuditEntry.after_publishing).is_(True),
                        col(AuditEntry.at) >= since,
                        col(AuditEntry.at) < until,
                        col(AuditEntry.action).in_([*NOTICED, *DOCUMENTS]),
                    )
                    .order_by(col(AuditEntry.id))
                )
            )
            summary = summarise(entries)
            if summary:
                self._queue(
                    session, meeting_id, SmsKind.CHANGE, summary, f"w{job.payload['since']}"
                )

    def _queue(
        self, session: Session, meeting_id: int, kind: SmsKind, content: str, cause: str
    ) -> None:
        recipients = invited(session, meeting_id)
        if not recipients:
            return
        try:
            service.queue_messages(
                session,
                actor=SYSTEM,
                meeting_id=meeting_id,
                kind=kind,
                settings=self.settings(),
                attendee_ids=recipients,
                content=content,
                cause=cause,
            )
        except AppError as refused:  # nobody reachable now, no public address: nothing to send
            log.info("%s for meeting %s not sent: %s", kind, meeting_id, refused.message)


def summarise(entries: Sequence[AuditEntry]) -> str:
    """What changed, in a few words a delegate reads on a phone (the template adds the
    meeting's title, time and place as they are now)."""
    parts: list[str] = []
    documents = 0
    for entry in entries:
        if entry.action in DOCUMENTS:
            documents += 1  # titles stay off SMS: a Mật document's title is not for a phone
            continue
        if entry.action == "meeting.update":
            fields = {change[0] for change in json.loads(entry.changes or "[]")}
            if fields & {"starts_at", "ends_at"}:
                parts.append("đổi thời gian")
            if "location" in fields:
                parts.append("đổi địa điểm")
            if "title" in fields:
                parts.append("đổi tên cuộc họp")
        elif entry.action == "agenda.add":
            parts.append(f"thêm nội dung “{entry.subject}”")
        elif entry.action == "agenda.delete":
            parts.append(f"bỏ nội dung “{entry.subject}”")
        elif entry.action == "agenda.update":
            parts.append(f"sửa nội dung “{entry.subject}”")
        elif entry.action == "agenda.move":
            parts.append("đổi thứ tự chương trình")
    if documents:
        parts.append(f"{documents} tài liệu mới hoặc cập nhật")
    unique = list(dict.fromkeys(parts))
    text = "; ".join(unique)
    if len(text) > MAX_SUMMARY:
        text = text[: MAX_SUMMARY - 1].rsplit(";", 1)[0] + "; …"
    return text[:1].upper() + text[1:] + ("." if text else "")
