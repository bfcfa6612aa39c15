"""Issuing attendee links, and entering by link or QR code."""

from __future__ import annotations

from typing import NoReturn

from flask import Blueprint, Response, flash, redirect, render_template, request, session, url_for

from ecabinet import limits
from ecabinet.attendees.service import get_attendee
from ecabinet.credentials import DEVICE_KEY
from ecabinet.errors import Invalid, NotFound
from ecabinet.permissions import Perm
from ecabinet.pickup import devices, service
from ecabinet.pickup.http import issue_link, public_url
from ecabinet.pickup.qr import qr_png
from ecabinet.web import actor_or_401, current_actor, database, requires

bp = Blueprint("pickup", __name__)


def _resolve_or_404(token: str) -> None:
    with database().unit_of_work(write=False) as db_session:
        actor = service.resolve_token(db_session, raw=token)
    if actor is None:
        _invalid_link()


def _invalid_link() -> NoReturn:
    # Count only failures, so guessing is throttled while valid links always open.
    limits.hit("PICKUP_FAILURE_LIMIT", request.remote_addr or "?")
    raise NotFound(
        "Liên kết không hợp lệ hoặc đã hết hạn. Vui lòng liên hệ thư ký cuộc họp.",
        code="token_invalid",
    )


@bp.route("/attendees/<int:attendee_id>/link", methods=["POST"])
@requires(Perm.EDIT_MEETING)
def issue(attendee_id: int) -> str:
    actor = actor_or_401()
    issued, link, qr_url = issue_link(actor, attendee_id)
    with database().unit_of_work(write=False) as db_session:
        attendee = get_attendee(
            db_session, actor=actor, attendee_id=attendee_id, perm=Perm.EDIT_MEETING
        )
    return render_template(
        "pickup/link.html",
        attendee=attendee,
        link=link,
        qr_url=qr_url,
        expires_at=issued.expires_at,
    )


@bp.route("/p/<token>", methods=["GET", "POST"])
@requires(Perm.PUBLIC)
def enter(token: str) -> Response | tuple[str, int]:
    """The link in the QR code: exchange the card's token for a device session of this
    browser (a fresh session: no fixation), then open the tablet, whose address carries no
    token. A browser signed in as staff is asked first (a POST with its CSRF token):
    opening a delegate's link there would end the staff session without a word."""
    _resolve_or_404(token)
    actor = current_actor()
    if request.method == "GET" and actor is not None and actor.is_staff:
        html = render_template("pickup/switch.html", actor=actor, token=token, role=actor.role)
        return html, 200
    with database().unit_of_work() as db_session:
        opened = devices.open_device(
            db_session, token=token, user_agent=request.headers.get("User-Agent", "")
        )
    if opened is None:  # revoked between the check and now
        _invalid_link()
    session.clear()
    session.permanent = True
    session[DEVICE_KEY] = opened.secret
    return redirect(url_for("live.tablet"))  # type: ignore[return-value]


@bp.route("/p/<token>/qr.png")
@requires(Perm.PUBLIC)
def qr(token: str) -> Response:
    """The QR image of a link. Whoever can fetch it already holds the link it encodes."""
    _resolve_or_404(token)
    png = qr_png(public_url(url_for("pickup.enter", token=token)))
    response = Response(png, mimetype="image/png")
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.route("/attendees/<int:attendee_id>/devices", methods=["GET"])
@requires(Perm.EDIT_MEETING)
def devices_page(attendee_id: int) -> str:
    """The tablets an attendee's card let in: name them, cut one off."""
    actor = actor_or_401()
    with database().unit_of_work(write=False) as db_session:
        attendee = get_attendee(
            db_session, actor=actor, attendee_id=attendee_id, perm=Perm.EDIT_MEETING
        )
        found = devices.list_devices(db_session, actor=actor, attendee_id=attendee_id)
    return render_template("pickup/devices.html", attendee=attendee, devices=found)


@bp.route("/devices/<int:device_id>/name", methods=["POST"])
@requires(Perm.EDIT_MEETING)
def rename_device(device_id: int) -> Response:
    actor = actor_or_401()
    try:
        with database().unit_of_work() as db_session:
            device = devices.rename_device(
                db_session, actor=actor, device_id=device_id, name=request.form.get("name", "")
            )
            attendee_id = device.attendee_id
    except Invalid as exc:
        flash(exc.message, "error")
        with database().unit_of_work(write=False) as db_session:
            attendee_id = devices.attendee_of(db_session, actor=actor, device_id=device_id)
    else:
        flash("Đã đặt tên thiết bị.", "success")
    return redirect(url_for("pickup.devices_page", attendee_id=attendee_id))  # type: ignore[return-value]


@bp.route("/devices/<int:device_id>/revoke", methods=["POST"])
@requires(Perm.EDIT_MEETING)
def revoke_device(device_id: int) -> Response:
    actor = actor_or_401()
    with database().unit_of_work() as db_session:
        device = devices.revoke_device(db_session, actor=actor, device_id=device_id)
        attendee_id = device.attendee_id
    flash("Đã ngắt thiết bị; máy đó phải quét lại thẻ mới vào được.", "success")
    return redirect(url_for("pickup.devices_page", attendee_id=attendee_id))  # type: ignore[return-value]
