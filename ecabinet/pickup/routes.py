"""Issuing attendee links, and entering by link or QR code."""

from __future__ import annotations

from typing import NoReturn, TypeVar

from flask import Blueprint, Response, flash, redirect, render_template, request, session, url_for

from ecabinet import limits
from ecabinet.attendees.service import get_attendee
from ecabinet.credentials import DEVICE_KEY
from ecabinet.errors import Forbidden, Invalid, NotFound
from ecabinet.meetings import service as meetings
from ecabinet.permissions import Perm
from ecabinet.pickup import devices, public, service, status
from ecabinet.pickup.http import code_key, issue_link, pickup_workbook, public_url
from ecabinet.pickup.qr import qr_png
from ecabinet.web import actor_or_401, current_actor, database, requires

bp = Blueprint("pickup", __name__)
T = TypeVar("T")

INVALID_CARD = (
    "Thẻ không hợp lệ hoặc đã hết hạn. Vui lòng liên hệ thư ký cuộc họp để được cấp thẻ mới."
)


def _resolve_or_404(token: str) -> None:
    limits.check("PICKUP_FAILURE_LIMIT", _address())
    with database().unit_of_work(write=False) as db_session:
        actor = service.resolve_token(db_session, raw=token)
    if actor is None:
        _invalid_card()


def _address() -> str:
    return request.remote_addr or "?"


def _invalid_card(*also: str) -> NoReturn:
    # Count only failures, so guessing is throttled while valid cards always open; the same
    # words whether the card never existed, was reprinted or has expired.
    limits.hit("PICKUP_FAILURE_LIMIT", _address())
    for setting in also:
        limits.hit(setting, "everyone")
    raise NotFound(INVALID_CARD, code="token_invalid")


def _enter_device(*, token: str = "", code: str = "") -> Response:
    """Open a device session for a card and send the browser to its tablet page. Guesses
    are refused before they are checked once the address (or, for typed codes, everyone
    together) is over its limit."""
    limits.check("PICKUP_FAILURE_LIMIT", _address())
    if code:
        limits.check("PICKUP_CODE_GLOBAL_LIMIT", "everyone")
    with database().unit_of_work() as db_session:
        opened = devices.open_device(
            db_session,
            token=token,
            code=code,
            code_key=code_key(),
            user_agent=request.headers.get("User-Agent", ""),
            address=_address(),
        )
    if opened is None:
        _invalid_card(*(["PICKUP_CODE_GLOBAL_LIMIT"] if code else []))
    if isinstance(opened, devices.SecondDevice):
        raise Forbidden(
            "Thẻ của cuộc họp mật này đã được dùng trên một máy khác, nên không mở trên máy "
            "này. Thư ký cuộc họp đã được báo; nếu đây là máy của bạn, hãy nhờ thư ký mở lại.",
            code="device_bound",
        )
    session.clear()
    session.permanent = True
    session[DEVICE_KEY] = opened.secret
    return redirect(url_for("live.tablet"))  # type: ignore[return-value]


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
        code=issued.code,
        code_page=public_url(url_for("pickup.code_page")),
        expires_at=issued.expires_at,
    )


@bp.route("/p/<token>", methods=["GET", "POST"])
@requires(Perm.PUBLIC)
def enter(token: str) -> Response | tuple[str, int]:
    """The link in the QR code: exchange the card's token for a device session of this
    browser (a fresh session: no fixation), then open the tablet, whose address carries no
    token. A browser signed in as staff is asked first (a POST with its CSRF token):
    opening a delegate's link there would end the staff session without a word."""
    actor = current_actor()
    if request.method == "GET" and actor is not None and actor.is_staff:
        _resolve_or_404(token)
        html = render_template("pickup/switch.html", actor=actor, token=token, role=actor.role)
        return html, 200
    return _enter_device(token=token)


@bp.route("/ma", methods=["GET", "POST"])
@requires(Perm.PUBLIC)
def code_page() -> Response | str:
    """Typing the code printed on the card, for a tablet that cannot scan the QR."""
    if request.method == "GET":
        return render_template("pickup/code.html", typed="")
    typed = request.form.get("code", "")
    try:
        return _enter_device(code=typed or "-")
    except NotFound as exc:
        flash(exc.message, "error")
        return render_template("pickup/code.html", typed=typed[:40]), 404  # type: ignore[return-value]


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
        alerts = devices.alerts_of_attendee(db_session, actor=actor, attendee_id=attendee_id)
    return render_template("pickup/devices.html", attendee=attendee, devices=found, alerts=alerts)


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


@bp.route("/pickup-alerts/<int:alert_id>/release", methods=["POST"])
@requires(Perm.EDIT_MEETING)
def release_alert(alert_id: int) -> Response:
    """Cut off the devices holding the card, so the next one to scan it gets in."""
    return _resolve_alert(alert_id, release=True)


@bp.route("/pickup-alerts/<int:alert_id>/dismiss", methods=["POST"])
@requires(Perm.EDIT_MEETING)
def dismiss_alert(alert_id: int) -> Response:
    """Put the alert away; the card keeps opening only on the device already in."""
    return _resolve_alert(alert_id, release=False)


def _resolve_alert(alert_id: int, *, release: bool) -> Response:
    with database().unit_of_work() as db_session:
        alert = devices.resolve_alert(
            db_session, actor=actor_or_401(), alert_id=alert_id, release=release
        )
        meeting_id = alert.meeting_id
    flash(
        "Đã mở lại: máy quét thẻ tiếp theo sẽ vào được; các máy cũ đã bị ngắt."
        if release
        else "Đã bỏ qua cảnh báo; thẻ vẫn chỉ mở trên máy đã vào.",
        "success",
    )
    return redirect(url_for("workspace.meeting", meeting_id=meeting_id, _anchor="attendees"))  # type: ignore[return-value]


def _public_or_404(found: T | None, message: str, code: str) -> T:
    if found is None:
        limits.hit("PICKUP_FAILURE_LIMIT", _address())
        raise NotFound(message, code=code)
    return found


@bp.route("/m/<code>")
@requires(Perm.PUBLIC)
def meeting_page(code: str) -> str:
    """What the meeting QR on the door and the room screen opens: title, time, place, and the
    agenda where the meeting allows it. Never a document."""
    limits.check("PICKUP_FAILURE_LIMIT", _address())
    with database().unit_of_work(write=False) as db_session:
        found = public.public_meeting(db_session, code=code)
    shown = _public_or_404(found, "Không tìm thấy cuộc họp.", "meeting_not_found")
    return render_template("pickup/meeting_public.html", m=shown)


@bp.route("/m/<code>/qr.png")
@requires(Perm.PUBLIC)
def meeting_qr(code: str) -> Response:
    limits.check("PICKUP_FAILURE_LIMIT", _address())
    with database().unit_of_work(write=False) as db_session:
        found = public.public_meeting(db_session, code=code)
    _public_or_404(found, "Không tìm thấy cuộc họp.", "meeting_not_found")
    response = Response(qr_png(public_url(url_for("pickup.meeting_page", code=code))))
    response.mimetype = "image/png"
    return response


@bp.route("/v/<code>")
@requires(Perm.PUBLIC)
def verify_page(code: str) -> str:
    """What a cover sheet's QR opens: which document and revision the paper is, who issued
    it, its level and whether it is still current. Nothing of its content."""
    limits.check("PICKUP_FAILURE_LIMIT", _address())
    with database().unit_of_work(write=False) as db_session:
        found = public.verify_revision(db_session, code=code)
    shown = _public_or_404(
        found,
        "Không xác minh được: mã này không ứng với văn bản nào đang lưu "
        "(văn bản có thể đã bị xóa). Hãy hỏi đơn vị ban hành.",
        "document_not_verified",
    )
    return render_template("pickup/verify.html", v=shown)


STATUS_PAGE_SIZE = 100


@bp.route("/meetings/<int:meeting_id>/pickup")
@requires(Perm.EDIT_MEETING)
def status_page(meeting_id: int) -> str:
    """Per attendee: card printed, tablet in, documents opened (Tình hình nhận tài liệu)."""
    actor = actor_or_401()
    page_arg = request.args.get("page", "1")
    page = int(page_arg) if page_arg.isdigit() and 0 < int(page_arg) < 100_000 else 1
    with database().unit_of_work(write=False) as db_session:
        meeting = meetings.load_meeting(
            db_session, actor=actor, meeting_id=meeting_id, perm=Perm.EDIT_MEETING
        )
        found = status.pickup_status(
            db_session,
            actor=actor,
            meeting_id=meeting_id,
            offset=(page - 1) * STATUS_PAGE_SIZE,
            limit=STATUS_PAGE_SIZE,
        )
    return render_template(
        "pickup/status.html",
        meeting=meeting,
        status=found,
        page=page,
        pages=max(1, -(-found.total // STATUS_PAGE_SIZE)),
        CARD_LABELS=status.CARD_LABELS,
        first_number=(page - 1) * STATUS_PAGE_SIZE + 1,
    )


@bp.route("/meetings/<int:meeting_id>/pickup.xlsx")
@requires(Perm.EDIT_MEETING)
def status_xlsx(meeting_id: int) -> Response:
    return pickup_workbook(meeting_id)
