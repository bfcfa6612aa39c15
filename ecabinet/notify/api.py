"""/api/v1 SMS: the gateway in use, templates, preview, send, watch, resend; and the URL a
gateway calls back with delivery reports and replies."""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime
from typing import Literal

from flask import Blueprint, current_app, request
from pydantic import BaseModel, ConfigDict, Field
from sqlmodel import Session
from werkzeug.wrappers import Response

from ecabinet.actor import Actor
from ecabinet.errors import NotFound, TooLarge
from ecabinet.notify import links, service
from ecabinet.notify.models import KIND_LABELS, STATE_LABELS, SmsKind, SmsMessage, SmsState
from ecabinet.notify.relay import Relay
from ecabinet.notify.templates import FIELDS, MAX_TEMPLATE
from ecabinet.permissions import Perm
from ecabinet.text import Id
from ecabinet.web import actor_or_401, api_doc, database, no_csrf, parse_body, requires, to_json

bp = Blueprint("notify_api", __name__, url_prefix="/api/v1")
MAX_CALLBACK = 64 * 1024  # a delivery report or a reply is a few hundred bytes


def relay() -> Relay:
    found: Relay = current_app.extensions["ecabinet.notify"]
    return found


def settings() -> service.NotifySettings:
    """Read per request, as printing reads PUBLIC_URL: links use the configured address."""
    return service.NotifySettings.from_config(current_app.config)


def callback_secret() -> str:
    """The unguessable last part of the callback URL (providers do not sign their calls)."""
    key = str(current_app.config["SECRET_KEY"]).encode()
    return hmac.new(key, b"ecabinet sms callback", hashlib.sha256).hexdigest()[:32]


class GatewayPublic(BaseModel):
    name: str
    deduplicates: bool = Field(description="A repeat with the same client id is never sent twice")
    can_receive: bool = Field(description="Replies from delegates come back through it")
    options: dict[str, str] = Field(description="Credentials masked")
    callback_path: str = Field(description="Where the gateway sends reports and replies")


class TemplatePublic(BaseModel):
    kind: SmsKind
    label: str
    body: str
    strip_diacritics: bool
    fields: dict[str, str]


class TemplateUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: SmsKind = Field(title="Loại tin")
    body: str = Field(min_length=1, max_length=MAX_TEMPLATE, title="Mẫu tin")
    strip_diacritics: bool = Field(default=True, title="Gửi không dấu")


class SmsRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: SmsKind = Field(title="Loại tin")
    attendee_ids: list[Id] | None = Field(
        default=None, max_length=100_000, title="Đại biểu", description="Default: everyone"
    )
    answer: Literal["yes", "no", ""] | None = Field(
        default=None,
        title="Theo trả lời",
        description='Only the attendees who answered this by SMS (yes, no, "" for not yet)',
    )
    content: str = Field(default="", max_length=service.MAX_CONTENT, title="Nội dung")
    cause: str | None = Field(
        default=None,
        max_length=64,
        pattern=r"^[A-Za-z0-9_.:-]+$",
        title="Mã yêu cầu",
        description="The same cause sent twice to someone is one message (a form sends one "
        "per submission). Default: the meeting's revision for an invitation, its start for a "
        "reminder, new each time otherwise",
    )


class PreviewRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: SmsKind = Field(title="Loại tin")
    attendee_ids: list[Id] | None = Field(default=None, max_length=100_000, title="Đại biểu")
    answer: Literal["yes", "no", ""] | None = Field(
        default=None,
        title="Theo trả lời",
        description='Only the attendees who answered this by SMS (yes, no, "" for not yet)',
    )
    content: str = Field(default="", max_length=service.MAX_CONTENT, title="Nội dung")
    body: str | None = Field(default=None, max_length=MAX_TEMPLATE, title="Mẫu tin")
    strip_diacritics: bool | None = Field(default=None, title="Gửi không dấu")


class PreviewLinePublic(BaseModel):
    attendee_id: int
    name: str
    phone: str
    text: str
    encoding: str = Field(description="gsm7 or ucs2")
    segments: int
    characters: int


class PreviewPublic(BaseModel):
    lines: list[PreviewLinePublic] = Field(description="The first 50 recipients")
    messages: int
    segments: int
    cost: int = Field(description="Estimate in đồng (0 when no price is configured)")
    no_phone: int = Field(description="Chosen attendees without a mobile number")
    strip_diacritics: bool
    body: str


class QueuedPublic(BaseModel):
    queued: int
    repeated: int = Field(description="Already queued for this cause: not added again")
    no_phone: list[int]
    segments: int


class MessagePublic(BaseModel):
    id: int
    attendee_id: int | None
    recipient: str
    phone: str
    kind: str
    kind_label: str
    state: str
    state_label: str
    text: str = Field(description="As sent, the personal link masked")
    encoding: str
    segments: int
    attempts: int
    detail: str
    gateway: str
    created_at: datetime
    updated_at: datetime
    sent_at: datetime | None
    delivered_at: datetime | None


class MessagesPublic(BaseModel):
    counts: dict[str, int]
    messages: list[MessagePublic]


class ResendRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    message_ids: list[Id] | None = Field(
        default=None,
        max_length=100_000,
        title="Tin nhắn",
        description="Default: every failed message",
    )


class ResentPublic(BaseModel):
    resent: int


def _chosen(
    db_session: Session,
    actor: Actor,
    meeting_id: int,
    attendee_ids: list[int] | None,
    answer: str | None,
) -> list[int] | None:
    """The attendees named, narrowed to those who gave `answer` by SMS when one is given."""
    by_answer = service.answered(db_session, actor=actor, meeting_id=meeting_id, answer=answer)
    if by_answer is None:
        return attendee_ids
    if attendee_ids is None:
        return by_answer
    return sorted(set(by_answer) & set(attendee_ids))


def message_public(message: SmsMessage) -> MessagePublic:
    assert message.id is not None
    return MessagePublic(
        id=message.id,
        attendee_id=message.attendee_id,
        recipient=message.recipient,
        phone=message.phone,
        kind=message.kind,
        kind_label=KIND_LABELS.get(SmsKind(message.kind), message.kind),
        state=message.state,
        state_label=STATE_LABELS.get(SmsState(message.state), message.state),
        text=links.shown(message.body),
        encoding=message.encoding,
        segments=message.segments,
        attempts=message.attempts,
        detail=message.detail,
        gateway=message.gateway,
        created_at=message.created_at,
        updated_at=message.updated_at,
        sent_at=message.sent_at,
        delivered_at=message.delivered_at,
    )


@bp.route("/sms/gateway", methods=["GET"])
@requires(Perm.MANAGE_USERS)  # the callback path is a secret: who holds it can forge replies
@api_doc(
    summary="The SMS gateway in use (credentials masked) and its callback path; administrators",
    response=GatewayPublic,
)
def gateway() -> Response:
    used = relay().gateway
    return to_json(
        GatewayPublic(
            name=used.name,
            deduplicates=used.deduplicates,
            can_receive=used.can_receive,
            options=used.describe(),
            callback_path=f"/api/v1/sms/callback/{callback_secret()}",
        )
    )


@bp.route("/sms/templates", methods=["GET"])
@requires(Perm.CREATE_MEETING)
@api_doc(summary="The wording of each kind of SMS", response=TemplatePublic, many=True)
def list_templates() -> Response:
    with database().unit_of_work(write=False) as db_session:
        found = []
        for kind in SmsKind:
            chosen = service.wording(db_session, kind)
            found.append(
                TemplatePublic(
                    kind=kind,
                    label=KIND_LABELS[kind],
                    body=chosen.body,
                    strip_diacritics=chosen.strip_diacritics,
                    fields=FIELDS,
                )
            )
        return to_json(found)


@bp.route("/sms/templates", methods=["PUT"])
@requires(Perm.CREATE_MEETING)
@api_doc(
    summary="Change the wording of one kind of SMS", body=TemplateUpdate, response=TemplatePublic
)
def put_template() -> Response:
    data = parse_body(TemplateUpdate)
    with database().unit_of_work() as db_session:
        row = service.save_template(
            db_session,
            actor=actor_or_401(),
            kind=data.kind,
            body=data.body,
            strip_diacritics=data.strip_diacritics,
        )
        return to_json(
            TemplatePublic(
                kind=data.kind,
                label=KIND_LABELS[data.kind],
                body=row.body,
                strip_diacritics=row.strip_diacritics,
                fields=FIELDS,
            )
        )


@bp.route("/meetings/<int:meeting_id>/sms/preview", methods=["POST"])
@requires(Perm.EDIT_MEETING)
@api_doc(
    summary="What each delegate would get: text, encoding (GSM-7 or UCS-2), segments, cost",
    body=PreviewRequest,
    response=PreviewPublic,
)
def preview(meeting_id: int) -> Response:
    data = parse_body(PreviewRequest)
    with database().unit_of_work(write=False) as db_session:
        actor = actor_or_401()
        shown = service.preview(
            db_session,
            actor=actor,
            meeting_id=meeting_id,
            kind=data.kind,
            settings=settings(),
            attendee_ids=_chosen(db_session, actor, meeting_id, data.attendee_ids, data.answer),
            content=data.content,
            body=data.body,
            strip_diacritics=data.strip_diacritics,
        )
    return to_json(
        PreviewPublic(
            lines=[PreviewLinePublic(**vars(line)) for line in shown.lines],
            messages=shown.messages,
            segments=shown.segments,
            cost=shown.cost,
            no_phone=shown.no_phone,
            strip_diacritics=shown.strip_diacritics,
            body=shown.body,
        )
    )


@bp.route("/meetings/<int:meeting_id>/sms", methods=["POST"])
@requires(Perm.EDIT_MEETING)
@api_doc(
    summary="Queue an SMS to the meeting's attendees (all, or those chosen); sent by the relay",
    body=SmsRequest,
    response=QueuedPublic,
    status=202,
)
def send(meeting_id: int) -> Response:
    data = parse_body(SmsRequest)
    with database().unit_of_work() as db_session:
        actor = actor_or_401()
        done = service.queue_messages(
            db_session,
            actor=actor,
            meeting_id=meeting_id,
            kind=data.kind,
            settings=settings(),
            attendee_ids=_chosen(db_session, actor, meeting_id, data.attendee_ids, data.answer),
            content=data.content,
            cause=data.cause,
        )
    return to_json(
        QueuedPublic(
            queued=done.queued,
            repeated=done.repeated,
            no_phone=done.no_phone,
            segments=done.segments,
        ),
        202,
    )


@bp.route("/meetings/<int:meeting_id>/sms", methods=["GET"])
@requires(Perm.EDIT_MEETING)
@api_doc(
    summary="A meeting's messages, newest first (?state=, ?kind=, ?attendee_id=), with counts",
    response=MessagesPublic,
)
def list_messages(meeting_id: int) -> Response:
    attendee = request.args.get("attendee_id", "")
    offset = request.args.get("offset", "0")
    with database().unit_of_work(write=False) as db_session:
        actor = actor_or_401()
        found = service.list_messages(
            db_session,
            actor=actor,
            meeting_id=meeting_id,
            state=request.args.get("state") or None,
            kind=request.args.get("kind") or None,
            attendee_id=int(attendee) if attendee.isdigit() and len(attendee) < 12 else None,
            offset=int(offset) if offset.isdigit() and len(offset) < 9 else 0,
        )
        counted = service.counts(db_session, actor=actor, meeting_id=meeting_id)
        return to_json(MessagesPublic(counts=counted, messages=[message_public(m) for m in found]))


@bp.route("/meetings/<int:meeting_id>/sms/resend", methods=["POST"])
@requires(Perm.EDIT_MEETING)
@api_doc(
    summary="Send again the failed messages (or those chosen, failed or unknown)",
    body=ResendRequest,
    response=ResentPublic,
)
def resend(meeting_id: int) -> Response:
    data = parse_body(ResendRequest)
    with database().unit_of_work() as db_session:
        count = service.resend(
            db_session,
            actor=actor_or_401(),
            meeting_id=meeting_id,
            settings=settings(),
            message_ids=data.message_ids,
        )
    return to_json(ResentPublic(resent=count))


@bp.route("/sms/callback/<secret>", methods=["GET"])
@requires(Perm.PUBLIC)
@api_doc(summary="Delivery reports from the SMS gateway as a GET (eSMS); the URL is the secret")
def callback_get(secret: str) -> Response:
    return _callback(secret)


@bp.route("/sms/callback/<secret>", methods=["POST"])
@requires(Perm.PUBLIC)
@no_csrf
@api_doc(summary="Delivery reports and replies from the SMS gateway; the URL is the secret")
def callback(secret: str) -> Response:
    return _callback(secret)


def _callback(secret: str) -> Response:
    if not hmac.compare_digest(secret.encode(), callback_secret().encode()):
        raise NotFound("Không tìm thấy.", code="not_found")
    if (request.content_length or 0) > MAX_CALLBACK:
        raise TooLarge("Yêu cầu quá lớn.", code="callback_too_large")
    body = request.stream.read(MAX_CALLBACK + 1)  # a chunked body has no declared length
    if len(body) > MAX_CALLBACK:
        raise TooLarge("Yêu cầu quá lớn.", code="callback_too_large")
    query = dict(request.args.items())
    inbound = relay().gateway.parse_callback(query, body, request.content_type or "")
    relay().receive(inbound)
    return to_json({"ok": True, "reports": len(inbound.reports), "replies": len(inbound.incoming)})
