"""The relay: sends each queued message through the configured gateway, as the handler of
its durable job (notify.send), and applies what gateways report back.

Every attempt is recorded before it is made: the message goes to `sending` in a committed
transaction, then the gateway is called, then the outcome is written. A process killed
between the two finds the message still `sending` on the next run of its job (the job's
lease ran out): a gateway that deduplicates by client id is simply asked again, since a
repeat cannot reach the phone twice; for any other the message becomes `unknown`, for a
person to decide, and is never sent again blindly.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import update
from sqlmodel import Session, col, or_, select

from ecabinet import failpoints
from ecabinet.attendees import phones
from ecabinet.attendees.models import Attendee
from ecabinet.db import Database, insert_or_ignore
from ecabinet.events import record
from ecabinet.jobs import service as jobs
from ecabinet.jobs.events import JobQueued
from ecabinet.jobs.models import Job, JobState
from ecabinet.jobs.service import ClaimedJob, RetryLater
from ecabinet.notify import links
from ecabinet.notify.events import SmsChanged
from ecabinet.notify.gateways.base import (
    DeliveryReport,
    Inbound,
    IncomingSms,
    OutboundSms,
    Outcome,
    ReportState,
    SendResult,
    SmsGateway,
)
from ecabinet.notify.models import SETTLED, SmsKind, SmsMessage, SmsReply, SmsState
from ecabinet.notify.service import SEND_JOB
from ecabinet.timeutil import utcnow

log = logging.getLogger(__name__)

POLL_JOB = "notify.poll"
REPLIES_FOR = timedelta(days=14)  # how long after an invitation its replies still count


@dataclass(frozen=True)
class RelaySettings:
    public_url: str = ""
    link_key: bytes = b""
    rate_per_second: float = 10.0
    retry_base: timedelta = timedelta(seconds=5)
    retry_cap: timedelta = timedelta(minutes=5)
    poll_every: timedelta = timedelta(seconds=10)

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> RelaySettings:
        return cls(
            public_url=str(config["PUBLIC_URL"]).rstrip("/"),
            link_key=links.key_from_secret(str(config["SECRET_KEY"])),
            rate_per_second=float(config["SMS_RATE_PER_SECOND"]),
            retry_base=timedelta(seconds=float(config["SMS_RETRY_SECONDS"])),
            retry_cap=timedelta(seconds=float(config["SMS_RETRY_MAX_SECONDS"])),
            poll_every=timedelta(seconds=float(config["SMS_POLL_SECONDS"])),
        )


class Throttle:
    """At most `rate` sends a second from this process (a provider's limit, a modem's pace)."""

    def __init__(self, rate: float) -> None:
        self.interval = 1.0 / rate if rate > 0 else 0.0
        self._next = 0.0
        self._lock = threading.Lock()

    def wait(self) -> None:
        with self._lock:
            now = time.monotonic()
            start = max(now, self._next)
            self._next = start + self.interval
        if start > now:
            time.sleep(start - now)


class Relay:
    def __init__(self, database: Database, gateway: SmsGateway, settings: RelaySettings) -> None:
        self.database = database
        self.gateway = gateway
        self.settings = settings
        self.throttle = Throttle(settings.rate_per_second)
        self._refusing = False  # the gateway asked this process to wait, last it was asked

    # --- sending ---------------------------------------------------------------------

    def send_job(self, job: ClaimedJob) -> None:
        message_id = int(job.payload["message_id"])
        outbound = self._begin(message_id)
        if outbound is None:
            return
        failpoints.reach("sms.before_send")
        self.throttle.wait()
        try:
            result = self.gateway.send(outbound)
        except Exception as exc:  # a third-party gateway that raised: as good as a timeout
            log.exception("SMS gateway %s raised", self.gateway.name)
            result = SendResult(Outcome.UNKNOWN, detail=f"Cổng SMS lỗi: {type(exc).__name__}.")
        failpoints.reach("sms.after_send")
        delay = self._finish(message_id, outbound.client_id, result)
        if result.outcome == Outcome.RETRY:
            self._refusing = True
        elif result.outcome == Outcome.ACCEPTED and self._refusing:
            self._refusing = False
            self._recovered()
        if result.outcome == Outcome.ACCEPTED and getattr(self.gateway, "polls", False):
            schedule_poll(self.database, self.settings.poll_every)  # its report will come
        if delay is not None:
            raise RetryLater(result.detail or result.outcome.value, delay)

    def _begin(self, message_id: int) -> OutboundSms | None:
        """Mark the attempt (committed before the gateway is called); None: nothing to send."""
        with self.database.unit_of_work() as session:
            message = _locked(session, message_id)
            if message is None or message.state not in (SmsState.QUEUED, SmsState.SENDING):
                return None
            now = utcnow()
            if message.state == SmsState.SENDING and not self.gateway.deduplicates:
                self._settle(
                    session,
                    message,
                    SmsState.UNKNOWN,
                    "Máy chủ dừng giữa lúc gửi: không rõ tin đã đi chưa. Cổng SMS này không "
                    "chống gửi trùng nên tin không được tự gửi lại; hãy hỏi đại biểu hoặc "
                    "bấm Gửi lại.",
                )
                return None
            if now >= message.give_up_at:
                if message.state == SmsState.SENDING or message.provider_code == "?":
                    # An earlier attempt may have reached the phone: a person decides, and a
                    # resend of a failed message must not repeat one that went.
                    self._settle(
                        session,
                        message,
                        SmsState.UNKNOWN,
                        "Quá hạn gửi, và một lần gửi trước có thể đã tới nơi: không rõ.",
                    )
                else:
                    self._settle(
                        session,
                        message,
                        SmsState.FAILED,
                        "Quá hạn gửi: cổng SMS không nhận tin trong thời gian cho phép "
                        f"({message.detail or 'lỗi'}).",
                    )
                return None
            message.state = SmsState.SENDING
            message.attempts += 1
            message.gateway = self.gateway.name
            message.updated_at = now
            session.add(message)
            record(session, SmsChanged(message.meeting_id))
            text = message.body
            if message.link_token:
                token = links.token_for(message.client_id, self.settings.link_key)
                text = links.fill(text, self.settings.public_url, token)
            return OutboundSms(
                client_id=message.client_id,
                to=message.phone,
                text=text,
                encoding="gsm7" if message.encoding == "gsm7" else "ucs2",
                segments=message.segments,
            )

    def _finish(self, message_id: int, client_id: str, result: SendResult) -> timedelta | None:
        """Record the outcome; returns the delay before the next attempt, if there is one."""
        with self.database.unit_of_work() as session:
            message = _locked(session, message_id)
            if message is None or message.client_id != client_id:
                return None  # deleted, or sent again under a new id meanwhile
            if result.provider_id and not message.provider_id:
                message.provider_id = result.provider_id
            # "?" marks an attempt that may have gone out: giving up then says unknown.
            message.provider_code = (
                result.code or ("?" if result.outcome == Outcome.UNKNOWN else "")
            )[:40]
            late = message.state == SmsState.UNKNOWN and result.outcome in (
                Outcome.ACCEPTED,
                Outcome.REJECTED,
            )
            if message.state != SmsState.SENDING and not late:
                # A report got here first (keep what it said), or this attempt outlived its
                # job's lease and another run has settled the message.
                session.add(message)
                return None
            now = utcnow()
            message.updated_at = now
            if result.outcome == Outcome.ACCEPTED:
                message.state, message.sent_at, message.detail = SmsState.SENT, now, ""
            elif result.outcome == Outcome.REJECTED:
                message.state, message.detail = SmsState.FAILED, result.detail[:500]
            elif result.outcome == Outcome.UNKNOWN and not self.gateway.deduplicates:
                message.state = SmsState.UNKNOWN
                message.detail = (
                    f"{result.detail} Không rõ tin đã đi chưa; cổng SMS này không chống gửi "
                    "trùng nên tin không được tự gửi lại."
                )[:500]
            else:  # RETRY, or UNKNOWN where asking again is safe
                message.state, message.detail = SmsState.QUEUED, result.detail[:500]
                session.add(message)
                record(session, SmsChanged(message.meeting_id))
                return self._delay(message.attempts, account=result.account)
            session.add(message)
            record(session, SmsChanged(message.meeting_id))
            return None

    def _delay(self, attempts: int, *, account: bool) -> timedelta:
        """Doubling from SMS_RETRY_SECONDS up to SMS_RETRY_MAX_SECONDS, with up to 20 % more
        at random so a backlog that failed together does not retry together."""
        if account:
            return self.settings.retry_cap
        delay: timedelta = self.settings.retry_base * (2 ** min(30, max(0, attempts - 1)))
        jitter = 1 + random.random() * 0.2  # noqa: S311  (spreading retries, not security)
        return min(delay, self.settings.retry_cap) * jitter

    def _recovered(self) -> None:
        """The gateway took a message after refusing some: the messages waiting out its
        outage are due now, not at the end of their backoff (which may be minutes)."""
        with self.database.unit_of_work() as session:
            session.execute(
                update(Job)
                .where(
                    col(Job.kind) == SEND_JOB,
                    col(Job.state) == JobState.QUEUED,
                    col(Job.run_at) > utcnow(),
                )
                .values(run_at=utcnow())
            )
            record(session, JobQueued(0, SEND_JOB))

    @staticmethod
    def _settle(session: Session, message: SmsMessage, state: SmsState, detail: str) -> None:
        message.state, message.detail, message.updated_at = state, detail[:500], utcnow()
        session.add(message)
        record(session, SmsChanged(message.meeting_id))

    # --- what comes back ---------------------------------------------------------------

    def receive(self, inbound: Inbound) -> None:
        """Apply delivery reports and replies (from a callback or a poll); each is idempotent."""
        if not inbound.reports and not inbound.incoming:
            return
        with self.database.unit_of_work() as session:
            for report in inbound.reports:
                apply_report(session, report)
            for incoming in inbound.incoming:
                take_reply(session, self.gateway.name, incoming)

    def poll_job(self, job: ClaimedJob) -> None:
        """Read the gateway's reports and replies, then queue the next poll while messages
        may still bring some (sent in the last three days: reports, then replies)."""
        try:
            polled = self.gateway.poll()
            self.receive(polled)
            acknowledge = getattr(self.gateway, "acknowledge", None)
            if acknowledge is not None:
                acknowledge(polled)  # only now: a rolled-back poll is read again next time
        finally:
            with self.database.unit_of_work(write=False) as session:
                recent = session.exec(
                    select(SmsMessage.id).where(
                        col(SmsMessage.updated_at) > utcnow() - REPLIES_FOR,
                        col(SmsMessage.state).in_(
                            [SmsState.SENDING, SmsState.SENT, SmsState.UNKNOWN, SmsState.DELIVERED]
                        ),
                    )
                ).first()
            if recent is not None:
                schedule_poll(self.database, self.settings.poll_every)


def _locked(session: Session, message_id: int) -> SmsMessage | None:
    return session.exec(
        select(SmsMessage).where(SmsMessage.id == message_id).with_for_update()
    ).first()


def apply_report(session: Session, report: DeliveryReport) -> None:
    """A delivery report moves a message forward, never back (a late "sent" after
    "delivered" changes nothing); an unknown message it names is known at last."""
    match = []
    if report.client_id:
        match.append(SmsMessage.client_id == report.client_id)
    if report.provider_id:
        match.append(SmsMessage.provider_id == report.provider_id)
    if not match:
        return
    message = session.exec(select(SmsMessage).where(or_(*match)).with_for_update()).first()
    if message is None or message.state in SETTLED:
        return
    now = utcnow()
    if report.state == ReportState.DELIVERED:
        message.state, message.delivered_at, message.detail = SmsState.DELIVERED, now, ""
        message.sent_at = message.sent_at or now
    elif report.state == ReportState.FAILED:
        message.state = SmsState.FAILED
        message.detail = (report.detail or "Nhà mạng báo không gửi được.")[:500]
    elif message.state != SmsState.SENT:
        message.state, message.sent_at, message.detail = SmsState.SENT, message.sent_at or now, ""
    else:
        return
    message.updated_at = now
    session.add(message)
    record(session, SmsChanged(message.meeting_id))


YES = {"c", "co", "có", "y", "yes", "1", "dong y", "đồng ý"}
NO = {"k", "khong", "không", "n", "no", "0", "vang", "vắng"}


def take_reply(session: Session, gateway: str, incoming: IncomingSms) -> bool:
    """A delegate's reply: "C" (có) or "K" (không) answers the latest invitation or reminder
    sent to that phone in the last REPLIES_FOR. Stored once per gateway id (a webhook
    delivered twice, even at once, is one reply); the answer goes on that attendee."""
    phone = phones.normalise_or_none(incoming.sender)
    ref = incoming.ref or f"{incoming.sender}|{incoming.received_at}|{incoming.text}"[:120]
    word = " ".join(incoming.text.strip().lower().split())
    answer = "yes" if word in YES else "no" if word in NO else ""
    latest = None
    if phone:
        latest = session.exec(
            select(SmsMessage)
            .where(
                SmsMessage.phone == phone,
                col(SmsMessage.attendee_id).is_not(None),
                col(SmsMessage.kind).in_([SmsKind.INVITATION, SmsKind.REMINDER]),
                col(SmsMessage.created_at) > utcnow() - REPLIES_FOR,
            )
            .order_by(col(SmsMessage.id).desc())
        ).first()
    added = session.execute(
        insert_or_ignore(session, SmsReply)
        .values(
            gateway=gateway,
            ref=ref,
            phone=(phone or incoming.sender)[:20],
            text=incoming.text[:1000],
            meeting_id=latest.meeting_id if latest else None,
            attendee_id=latest.attendee_id if latest else None,
            answer=answer,
            received_at=incoming.received_at or utcnow(),
        )
        .on_conflict_do_nothing(index_elements=["gateway", "ref"])
        .returning(col(SmsReply.id))
    ).scalar_one_or_none()
    if added is None:
        return False  # this reply was taken before
    if latest is not None and answer and latest.attendee_id is not None:
        attendee = session.get(Attendee, latest.attendee_id)
        if attendee is not None:
            attendee.rsvp, attendee.rsvp_at = answer, utcnow()
            session.add(attendee)
            record(session, SmsChanged(latest.meeting_id))
    return True


def schedule_poll(database: Database, every: timedelta) -> None:
    """One poll queued per period (the key makes several processes agree on one)."""
    due = utcnow() + every
    period_ms = max(1, int(every.total_seconds() * 1000))
    bucket = int(due.timestamp() * 1000) // period_ms
    with database.unit_of_work() as session:
        jobs.enqueue(session, POLL_JOB, {}, key=f"{POLL_JOB}:{bucket}", run_at=due, priority=-5)
