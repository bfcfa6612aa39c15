"""The SMS page of a meeting (Tin nhắn SMS): send invitations and notices, watch each
recipient's status, send the failed ones again; and the templates page."""

from __future__ import annotations

import secrets

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from ecabinet.errors import AppError, Invalid
from ecabinet.meetings import service as meetings
from ecabinet.notify import links, service
from ecabinet.notify.api import relay, settings
from ecabinet.notify.models import KIND_LABELS, STATE_LABELS, SmsKind
from ecabinet.notify.templates import FIELDS
from ecabinet.permissions import Perm
from ecabinet.web import actor_or_401, database, form_data, requires

bp = Blueprint("notify", __name__)

# Who a message from the page goes to: everyone, or by their SMS answer ("" none yet).
AUDIENCES: dict[str, str | None] = {"all": None, "unanswered": "", "yes": "yes", "no": "no"}
SENDABLE = (
    SmsKind.INVITATION,
    SmsKind.REMINDER,
    SmsKind.CHANGE,
    SmsKind.CANCELLATION,
    SmsKind.FREE,
)


@bp.route("/meetings/<int:meeting_id>/sms", methods=["GET"])
@requires(Perm.EDIT_MEETING)
def page(meeting_id: int) -> str:
    actor = actor_or_401()
    state = request.args.get("state") or None
    chosen = request.args.get("attendee_id", "")
    attendee_id = int(chosen) if chosen.isdigit() and len(chosen) < 12 else None
    with database().unit_of_work(write=False) as db_session:
        meeting = meetings.load_meeting(
            db_session, actor=actor, meeting_id=meeting_id, perm=Perm.EDIT_MEETING
        )
        messages = service.list_messages(
            db_session,
            actor=actor,
            meeting_id=meeting_id,
            state=state,
            attendee_id=attendee_id,
            limit=500,
        )
        counts = service.counts(db_session, actor=actor, meeting_id=meeting_id)
        answers = service.answers(db_session, actor=actor, meeting_id=meeting_id)
    used = relay().gateway
    return render_template(
        "notify/page.html",
        meeting=meeting,
        messages=messages,
        counts=counts,
        answers=answers,
        state=state,
        attendee_id=attendee_id,
        gateway=used,
        kinds=SENDABLE,
        KIND_LABELS=KIND_LABELS,
        STATE_LABELS=STATE_LABELS,
        shown=links.shown,
        cause=secrets.token_hex(8),  # one per form: a double submit queues once
        public_url=str(current_app.config["PUBLIC_URL"]),
    )


@bp.route("/meetings/<int:meeting_id>/sms", methods=["POST"])
@requires(Perm.EDIT_MEETING)
def send(meeting_id: int) -> Response:
    fields = form_data()
    kind = str(fields.get("kind", ""))
    audience = str(fields.get("audience", "all"))
    try:
        if kind not in {k.value for k in SENDABLE}:
            raise Invalid("Hãy chọn loại tin.", code="sms_kind_required", field="kind")
        if audience not in AUDIENCES:
            raise Invalid("Hãy chọn người nhận.", code="sms_audience_required", field="audience")
        cause = str(fields.get("cause", ""))
        actor = actor_or_401()
        with database().unit_of_work() as db_session:
            done = service.queue_messages(
                db_session,
                actor=actor,
                meeting_id=meeting_id,
                kind=SmsKind(kind),
                settings=settings(),
                attendee_ids=service.answered(
                    db_session, actor=actor, meeting_id=meeting_id, answer=AUDIENCES[audience]
                ),
                content=str(fields.get("content", "")),
                cause=cause if cause.isalnum() and len(cause) <= 32 else None,
            )
    except AppError as exc:
        flash(exc.message, "error")
    else:
        parts = [f"Đã đưa {done.queued} tin vào hàng gửi."]
        if done.repeated:
            parts.append(f"{done.repeated} người đã có tin này, không gửi lại.")
        if done.no_phone:
            parts.append(f"{len(done.no_phone)} người không có số di động.")
        flash(" ".join(parts), "success")
    return redirect(url_for("notify.page", meeting_id=meeting_id))


@bp.route("/meetings/<int:meeting_id>/sms/resend", methods=["POST"])
@requires(Perm.EDIT_MEETING)
def resend(meeting_id: int) -> Response:
    chosen = request.form.get("message_id", "")
    try:
        with database().unit_of_work() as db_session:
            count = service.resend(
                db_session,
                actor=actor_or_401(),
                meeting_id=meeting_id,
                settings=settings(),
                message_ids=[int(chosen)] if chosen.isdigit() and len(chosen) < 12 else None,
            )
    except AppError as exc:
        flash(exc.message, "error")
    else:
        flash(f"Đã đưa {count} tin vào hàng gửi lại.", "success")
    return redirect(url_for("notify.page", meeting_id=meeting_id))


@bp.route("/sms/templates", methods=["GET"])
@requires(Perm.CREATE_MEETING)
def templates_page() -> str:
    with database().unit_of_work(write=False) as db_session:
        wordings = {kind: service.wording(db_session, kind) for kind in SmsKind}
    return render_template(
        "notify/templates.html", wordings=wordings, KIND_LABELS=KIND_LABELS, FIELDS=FIELDS
    )


@bp.route("/sms/templates", methods=["POST"])
@requires(Perm.CREATE_MEETING)
def save_template() -> Response:
    kind = request.form.get("kind", "")
    try:
        if kind not in {k.value for k in SmsKind}:
            raise Invalid("Không có loại tin này.", code="sms_kind_not_found")
        with database().unit_of_work() as db_session:
            service.save_template(
                db_session,
                actor=actor_or_401(),
                kind=SmsKind(kind),
                body=request.form.get("body", ""),
                strip_diacritics=request.form.get("strip_diacritics") == "true",
            )
    except AppError as exc:
        flash(exc.message, "error")
    else:
        flash("Đã lưu mẫu tin.", "success")
    return redirect(url_for("notify.templates_page"))
