"""The SMS outbox: compose and queue messages in the caller's transaction, preview them,
list them, send the failed ones again. Knows nothing of HTTP; the relay (notify.relay)
sends what is queued here.

Each message has an idempotency key (kind, meeting, attendee, revision): queueing the same
cause twice, a double click or a retried request, adds nothing. Each has a durable job of
the spine (notify.send), written in the same transaction, so a committed message is always
sent or accounted for and a rolled-back one never exists.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, func, select

from ecabinet.actor import Actor
from ecabinet.attendees import phones
from ecabinet.attendees.models import Attendee
from ecabinet.db import insert_or_ignore
from ecabinet.errors import Conflict, Invalid
from ecabinet.events import audit
from ecabinet.jobs import service as jobs
from ecabinet.meetings import service as meetings
from ecabinet.meetings.models import Meeting, MeetingStatus
from ecabinet.notify import encoding, links, templates
from ecabinet.notify.models import KIND_LABELS, SmsKind, SmsMessage, SmsState, SmsTemplate
from ecabinet.offload import off_hub
from ecabinet.permissions import Perm, require_global
from ecabinet.pickup import service as pickup
from ecabinet.timeutil import utcnow

SEND_JOB = "notify.send"
REMIND_JOB = "notify.remind"  # handled by notify.follow
# Behind interactive jobs (a document check, a printout): 10,000 invitations must not make
# a secretary's upload wait.
PRIORITY = -10
# The relay, not the job's attempt count, decides when a message is given up (give_up_at):
# an outage of hours must not use up its attempts.
JOB_ATTEMPTS = 1_000_000
MAX_CONTENT = 800


@dataclass(frozen=True)
class NotifySettings:
    public_url: str = ""
    link_key: bytes = b""
    timezone: str = "Asia/Ho_Chi_Minh"
    window: pickup.AccessWindow = field(default_factory=pickup.AccessWindow)
    give_up: timedelta = timedelta(hours=24)
    price_per_segment: int = 0  # đồng; 0: no estimate
    reminder_lead: timedelta | None = None  # a reminder this long before the start; None: none

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> NotifySettings:
        return cls(
            public_url=str(config["PUBLIC_URL"]).rstrip("/"),
            link_key=links.key_from_secret(str(config["SECRET_KEY"])),
            timezone=str(config["TIMEZONE"]),
            window=pickup.AccessWindow(
                days_after_end=int(config["PICKUP_DAYS_AFTER_MEETING"]),
                undated_days=int(config["ATTENDEE_TOKEN_DAYS"]),
            ),
            give_up=timedelta(hours=float(config["SMS_GIVE_UP_HOURS"])),
            price_per_segment=int(config["SMS_PRICE_PER_SEGMENT"]),
            reminder_lead=timedelta(hours=float(config["SMS_REMINDER_HOURS"]))
            if float(config["SMS_REMINDER_HOURS"]) > 0
            else None,
        )


# --- wording ---------------------------------------------------------------------------


def wording(session: Session, kind: SmsKind) -> templates.Wording:
    row = session.get(SmsTemplate, kind.value)
    if row is None:
        return templates.Wording(templates.DEFAULTS[kind], strip_diacritics=True)
    return templates.Wording(row.body, row.strip_diacritics)


def save_template(
    session: Session, *, actor: Actor, kind: SmsKind, body: str, strip_diacritics: bool
) -> SmsTemplate:
    require_global(actor, Perm.CREATE_MEETING)
    body = templates.check_template(body)
    row = session.get(SmsTemplate, kind.value)
    before = (row.body, row.strip_diacritics) if row else (templates.DEFAULTS[kind], True)
    if row is None:
        row = SmsTemplate(kind=kind.value, body=body)
    row.body, row.strip_diacritics = body, strip_diacritics
    row.updated_at, row.updated_by = utcnow(), actor.user_id
    session.add(row)
    audit(
        session,
        actor,
        meeting_id=None,
        action="sms.template",
        subject=f"Mẫu tin: {KIND_LABELS[kind]}",
        changes={"body": (before[0], body), "khong_dau": (before[1], strip_diacritics)},
    )
    return row


def meeting_values(meeting: Meeting, timezone: str) -> dict[str, str]:
    starts = (
        meeting.starts_at.astimezone(ZoneInfo(timezone)).strftime("%H:%M %d/%m/%Y")
        if meeting.starts_at
        else "(chưa định)"
    )
    return {
        "cuoc_hop": meeting.title,
        "don_vi": meeting.organiser,
        "thoi_gian": starts,
        "dia_diem": meeting.location or "(chưa định)",
    }


_BARE_MARK = encoding.khong_dau(links.LINK_MARK)


@dataclass(frozen=True)
class Composed:
    body: str  # as stored: LINK_MARK where the personal link goes
    measured: encoding.Measured  # the text as sent (with a link of the real length)
    has_link: bool


def compose(
    wording: templates.Wording,
    values: Mapping[str, str],
    attendee: Attendee | Person,
    *,
    public_url: str,
    content: str = "",
) -> Composed:
    person = {"ten": attendee.full_name, "chuc_vu": attendee.position, "noi_dung": content}
    has_link = templates.uses_link(wording.body)
    text = templates.render(wording.body, {**values, **person, "lien_ket": links.LINK_MARK})
    sent = encoding.as_sent(text, strip_diacritics=wording.strip_diacritics)
    # The mark itself may lose its diacritics: put the canonical one back.
    stored = sent.replace(_BARE_MARK, links.LINK_MARK)
    sample = links.fill(stored, public_url or "http://x", links.SAMPLE_TOKEN)
    return Composed(stored, encoding.measure(sample), has_link)


# --- queueing --------------------------------------------------------------------------


@dataclass(frozen=True)
class Queued:
    queued: int  # new messages
    repeated: int  # already queued for this cause (same key): nothing added
    no_phone: list[int]  # attendees without a mobile number
    segments: int


def queue_messages(
    session: Session,
    *,
    actor: Actor,
    meeting_id: int,
    kind: SmsKind,
    settings: NotifySettings,
    attendee_ids: Sequence[int] | None = None,
    content: str = "",
    cause: str | None = None,
    now: datetime | None = None,
) -> Queued:
    """Queue one message per attendee (all, or those chosen) in the caller's transaction.
    `cause` names what is being announced (the meeting's revision for an invitation, a batch
    id a form sends once); the same cause queued twice for someone adds nothing."""
    meeting = meetings.load_meeting(
        session, actor=actor, meeting_id=meeting_id, perm=Perm.EDIT_MEETING
    )
    _check_can_send(meeting, kind)
    now = now or utcnow()
    content = encoding.nfc(content).strip()
    if kind in (SmsKind.FREE, SmsKind.CHANGE) and not content:
        raise Invalid("Hãy nhập nội dung tin nhắn.", code="sms_content_required", field="content")
    if len(content) > MAX_CONTENT:
        raise Invalid(
            f"Nội dung dài quá {MAX_CONTENT} ký tự.", code="sms_content_too_long", field="content"
        )
    chosen = wording(session, kind)
    if templates.uses_link(chosen.body) and not settings.public_url:
        raise Conflict(
            "Chưa cấu hình địa chỉ công khai (ECABINET_PUBLIC_URL), nên không thể gửi liên kết "
            "nhận tài liệu: liên kết phải mở được từ điện thoại của đại biểu. Quản trị viên cần "
            "đặt địa chỉ này, hoặc bỏ {lien_ket} khỏi mẫu tin.",
            code="public_url_required",
        )
    recipients = _recipients(session, meeting_id, attendee_ids)
    no_phone = [a.id for a in recipients if not _reachable(a) and a.id is not None]
    targets = [a for a in recipients if _reachable(a)]
    if not targets:
        raise Invalid(
            "Không có đại biểu nào đã chọn có số điện thoại di động.",
            code="sms_no_recipients",
            field="attendee_ids",
        )
    revision = cause if cause is not None else _default_cause(meeting, kind, content)
    values = meeting_values(meeting, settings.timezone)
    people = [Person(a.id or 0, a.full_name, a.position, a.phone) for a in targets]
    common = {
        "meeting_id": meeting_id,
        "kind": kind.value,
        "state": SmsState.QUEUED.value,
        "gateway": "",
        "provider_code": "",
        "detail": "",
        "attempts": 0,
        "created_at": now,
        "updated_at": now,
        "give_up_at": now + settings.give_up,
        "created_by": actor.user_id,
    }
    # Composing 10,000 texts is a second of CPU: in a real thread, so tablets' pushes go on.
    rows, segments = off_hub(
        _compose_rows, people, chosen, values, settings.public_url, content, revision, common
    )
    added = _insert_new(session, rows)
    if added:
        pickup.add_sms_links(
            session,
            meeting=meeting,
            links=[
                (r["attendee_id"], links.token_for(r["client_id"], settings.link_key))
                for r in rows
                if r["id"] in added and r["link_token"]
            ],
            lifetime=settings.window,
            now=now,
        )
        jobs.enqueue_many(
            session,
            SEND_JOB,
            [{"message_id": message_id} for message_id in sorted(added)],
            max_attempts=JOB_ATTEMPTS,
            priority=PRIORITY,
        )
        if kind == SmsKind.INVITATION:
            schedule_reminder(session, meeting, settings.reminder_lead)
        audit(
            session,
            actor,
            meeting_id=meeting_id,
            action="sms.queue",
            subject=f"{KIND_LABELS[kind]}: {len(added)} tin",
        )
    return Queued(len(added), len(rows) - len(added), no_phone, segments)


@dataclass(frozen=True)
class Person:
    """What composing needs of an attendee: plain values, safe to hand to another thread."""

    id: int
    full_name: str
    position: str
    phone: str


def _compose_rows(
    people: list[Person],
    chosen: templates.Wording,
    values: Mapping[str, str],
    public_url: str,
    content: str,
    revision: str,
    common: Mapping[str, Any],
) -> tuple[list[dict[str, Any]], int]:
    rows: list[dict[str, Any]] = []
    segments = 0
    kind, meeting_id = common["kind"], common["meeting_id"]
    for person in people:
        composed = compose(chosen, values, person, public_url=public_url, content=content)
        segments += composed.measured.segments
        rows.append(
            {
                **common,
                "attendee_id": person.id,
                "key": f"{kind}:{meeting_id}:{person.id}:{revision}"[:200],
                "client_id": new_client_id(),
                "phone": person.phone,
                "recipient": person.full_name,
                "body": composed.body,
                "link_token": composed.has_link,
                "encoding": composed.measured.encoding,
                "segments": composed.measured.segments,
            }
        )
    return rows, segments


def _preview_lines(
    people: list[Person],
    chosen: templates.Wording,
    values: Mapping[str, str],
    public_url: str,
    content: str,
    limit: int,
) -> tuple[list[PreviewLine], int]:
    """The first `limit` texts as delegates read them, and every text's segments."""
    lines: list[PreviewLine] = []
    segments = 0
    for person in people:
        composed = compose(chosen, values, person, public_url=public_url, content=content)
        segments += composed.measured.segments
        if len(lines) < limit:
            lines.append(
                PreviewLine(
                    person.id,
                    person.full_name,
                    person.phone,
                    links.fill(composed.body, public_url or "http://…", "…"),
                    composed.measured.encoding,
                    composed.measured.segments,
                    len(composed.measured.text),
                )
            )
    return lines, segments


def _reachable(attendee: Attendee) -> bool:
    return bool(attendee.phone) and phones.is_mobile(attendee.phone)


def schedule_reminder(session: Any, meeting: Meeting, lead: timedelta | None) -> int | None:
    """The reminder's job for the meeting's current start, if that is far enough ahead (a
    moved meeting gets another; the old one then finds the start changed and sends nothing)."""
    if lead is None or meeting.starts_at is None or meeting.id is None:
        return None
    due = meeting.starts_at - lead
    if due <= utcnow():
        return None  # too late to remind: the invitation has just said it
    start = meeting.starts_at.isoformat()
    return jobs.enqueue(
        session,
        REMIND_JOB,
        {"meeting_id": meeting.id, "starts_at": start},
        key=f"{REMIND_JOB}:{meeting.id}:{start}",
        run_at=due,
        priority=PRIORITY,
    )


def new_client_id() -> str:
    return f"ec{secrets.token_hex(10)}"


def _check_can_send(meeting: Meeting, kind: SmsKind) -> None:
    if meeting.status == MeetingStatus.ARCHIVED:
        raise Conflict("Cuộc họp đã lưu trữ: không gửi tin nữa.", code="meeting_archived")
    if kind in (SmsKind.INVITATION, SmsKind.REMINDER) and meeting.status == MeetingStatus.DRAFT:
        raise Conflict(
            "Cuộc họp còn là bản nháp: hãy công bố trước khi gửi giấy mời.",
            code="meeting_not_published",
        )
    if kind in (SmsKind.INVITATION, SmsKind.REMINDER) and meeting.status == MeetingStatus.ENDED:
        raise Conflict("Cuộc họp đã kết thúc.", code="meeting_ended")


def _default_cause(meeting: Meeting, kind: SmsKind, content: str) -> str:
    if kind == SmsKind.INVITATION:
        return f"r{meeting.revision}"  # an edited meeting may be announced again
    if kind == SmsKind.REMINDER:
        return meeting.starts_at.isoformat() if meeting.starts_at else "undated"
    return secrets.token_hex(8)  # free text: each request is its own (forms send a cause)


def _recipients(
    session: Session, meeting_id: int, attendee_ids: Sequence[int] | None
) -> list[Attendee]:
    query = select(Attendee).where(Attendee.meeting_id == meeting_id)
    everyone = list(session.exec(query.order_by(col(Attendee.id))))
    if attendee_ids is None:
        return everyone
    wanted = set(attendee_ids)
    chosen = [a for a in everyone if a.id in wanted]
    if len(chosen) != len(wanted):
        raise Invalid(
            "Có đại biểu không thuộc cuộc họp này.",
            code="attendee_not_found",
            field="attendee_ids",
        )
    return chosen


def _insert_new(session: Session, rows: list[dict[str, Any]]) -> set[int]:
    """Insert the messages whose key is new; returns their ids (and sets rows' "id")."""
    keys = [r["key"] for r in rows]
    taken: set[str] = set()
    for start in range(0, len(keys), 900):
        taken.update(
            session.exec(
                select(SmsMessage.key).where(col(SmsMessage.key).in_(keys[start : start + 900]))
            ).all()
        )
    fresh = [r for r in rows if r["key"] not in taken]
    for r in rows:
        r["id"] = None
    if not fresh:
        return set()
    # A concurrent request may take a key between the check and the insert: it wins.
    statement = (
        insert_or_ignore(session, SmsMessage)
        .on_conflict_do_nothing(index_elements=["key"])
        .returning(col(SmsMessage.id), col(SmsMessage.client_id))
    )
    by_client = {r["client_id"]: r for r in fresh}
    added: set[int] = set()
    for start in range(0, len(fresh), 2000):
        batch = [{k: v for k, v in r.items() if k != "id"} for r in fresh[start : start + 2000]]
        for message_id, client_id in session.execute(statement, batch).all():
            by_client[client_id]["id"] = message_id
            added.add(message_id)
    return added


# --- preview ---------------------------------------------------------------------------


@dataclass(frozen=True)
class PreviewLine:
    attendee_id: int
    name: str
    phone: str
    text: str  # as the delegate would read it, the link shown as a placeholder
    encoding: str
    segments: int
    characters: int


@dataclass(frozen=True)
class Preview:
    lines: list[PreviewLine]
    no_phone: int
    messages: int
    segments: int
    cost: int  # đồng, 0 when no price is configured
    strip_diacritics: bool
    body: str


def preview(
    session: Session,
    *,
    actor: Actor,
    meeting_id: int,
    kind: SmsKind,
    settings: NotifySettings,
    attendee_ids: Sequence[int] | None = None,
    content: str = "",
    body: str | None = None,
    strip_diacritics: bool | None = None,
    limit: int = 50,
) -> Preview:
    """What each delegate would get (the first `limit` shown), its encoding and segments, and
    the totals; `body` / `strip_diacritics` try a wording before it is saved."""
    meeting = meetings.load_meeting(
        session, actor=actor, meeting_id=meeting_id, perm=Perm.EDIT_MEETING
    )
    chosen = wording(session, kind)
    if body is not None:
        chosen = templates.Wording(templates.check_template(body), chosen.strip_diacritics)
    if strip_diacritics is not None:
        chosen = templates.Wording(chosen.body, strip_diacritics)
    content = encoding.nfc(content).strip()
    recipients = _recipients(session, meeting_id, attendee_ids)
    values = meeting_values(meeting, settings.timezone)
    people = [
        Person(a.id, a.full_name, a.position, a.phone)
        for a in recipients
        if _reachable(a) and a.id is not None
    ]
    lines, segments = off_hub(
        _preview_lines, people, chosen, values, settings.public_url, content, limit
    )
    messages = len(people)
    return Preview(
        lines,
        no_phone=sum(1 for a in recipients if not _reachable(a)),
        messages=messages,
        segments=segments,
        cost=segments * settings.price_per_segment,
        strip_diacritics=chosen.strip_diacritics,
        body=chosen.body,
    )


# --- reading and acting on messages -----------------------------------------------------


def list_messages(
    session: Session,
    *,
    actor: Actor,
    meeting_id: int,
    state: str | None = None,
    kind: str | None = None,
    attendee_id: int | None = None,
    limit: int = 200,
    offset: int = 0,
) -> list[SmsMessage]:
    meetings.load_meeting(session, actor=actor, meeting_id=meeting_id, perm=Perm.EDIT_MEETING)
    query = select(SmsMessage).where(SmsMessage.meeting_id == meeting_id)
    if state:
        query = query.where(SmsMessage.state == state)
    if kind:
        query = query.where(SmsMessage.kind == kind)
    if attendee_id is not None:
        query = query.where(SmsMessage.attendee_id == attendee_id)
    query = query.order_by(col(SmsMessage.id).desc()).offset(offset).limit(limit)
    return list(session.exec(query))


def counts(session: Session, *, actor: Actor, meeting_id: int) -> dict[str, int]:
    """Messages of a meeting by state (the progress bar)."""
    meetings.load_meeting(session, actor=actor, meeting_id=meeting_id, perm=Perm.EDIT_MEETING)
    rows = session.exec(
        select(SmsMessage.state, func.count())
        .where(SmsMessage.meeting_id == meeting_id)
        .group_by(SmsMessage.state)
    )
    found = {state.value: 0 for state in SmsState}
    found.update({state: int(n) for state, n in rows})
    return found


def answers(session: Session, *, actor: Actor, meeting_id: int) -> dict[str, int]:
    """How the attendees answered by SMS ("C" / "K"): yes, no, and not yet."""
    meetings.load_meeting(session, actor=actor, meeting_id=meeting_id, perm=Perm.EDIT_MEETING)
    rows = session.exec(
        select(Attendee.rsvp, func.count())
        .where(Attendee.meeting_id == meeting_id)
        .group_by(Attendee.rsvp)
    )
    found = {"yes": 0, "no": 0, "": 0}
    found.update({answer: int(n) for answer, n in rows})
    return found


def answered(
    session: Session, *, actor: Actor, meeting_id: int, answer: str | None
) -> list[int] | None:
    """The attendees who answered `answer` by SMS ("yes", "no", "" for not yet); None for
    everyone."""
    if answer is None:
        return None
    meetings.load_meeting(session, actor=actor, meeting_id=meeting_id, perm=Perm.EDIT_MEETING)
    ids = session.exec(
        select(Attendee.id).where(Attendee.meeting_id == meeting_id, Attendee.rsvp == answer)
    ).all()
    return [i for i in ids if i is not None]


def resend(
    session: Session,
    *,
    actor: Actor,
    meeting_id: int,
    settings: NotifySettings,
    message_ids: Sequence[int] | None = None,
    now: datetime | None = None,
) -> int:
    """Send again the failed messages of a meeting (or those chosen, failed or unknown): each
    gets a new client id, since an unknown one may have gone out and the secretary has
    decided it should go again. Returns how many."""
    meeting = meetings.load_meeting(
        session, actor=actor, meeting_id=meeting_id, perm=Perm.EDIT_MEETING
    )
    if meeting.status == MeetingStatus.ARCHIVED:
        raise Conflict("Cuộc họp đã lưu trữ: không gửi tin nữa.", code="meeting_archived")
    now = now or utcnow()
    query = select(SmsMessage).where(SmsMessage.meeting_id == meeting_id)
    if message_ids is None:
        chosen = list(
            session.exec(query.where(SmsMessage.state == SmsState.FAILED).with_for_update())
        )
    else:
        wanted = sorted(set(message_ids))
        chosen = []
        for start in range(0, len(wanted), 900):  # bound the IN list (SQLite's variables)
            chosen += session.exec(
                query.where(
                    col(SmsMessage.id).in_(wanted[start : start + 900]),
                    col(SmsMessage.state).in_([SmsState.FAILED, SmsState.UNKNOWN]),
                ).with_for_update()
            ).all()
    if message_ids is not None and len(chosen) != len(set(message_ids)):
        raise Conflict(
            "Chỉ gửi lại được tin lỗi hoặc chưa rõ của cuộc họp này.", code="sms_not_resendable"
        )
    sms_links = []
    for message in chosen:
        message.client_id = new_client_id()
        message.state, message.detail = SmsState.QUEUED, "Gửi lại"
        message.provider_id, message.provider_code = None, ""
        message.updated_at, message.give_up_at = now, now + settings.give_up
        message.sent_at = message.delivered_at = None
        session.add(message)
        if message.link_token and message.attendee_id is not None:
            sms_links.append(
                (message.attendee_id, links.token_for(message.client_id, settings.link_key))
            )
    session.flush()
    pickup.add_sms_links(
        session, meeting=meeting, links=sms_links, lifetime=settings.window, now=now
    )
    jobs.enqueue_many(
        session,
        SEND_JOB,
        [{"message_id": m.id} for m in chosen],
        max_attempts=JOB_ATTEMPTS,
        priority=PRIORITY,
    )
    if chosen:
        audit(
            session, actor, meeting_id=meeting_id, action="sms.resend", subject=f"{len(chosen)} tin"
        )
    return len(chosen)
