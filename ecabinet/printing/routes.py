"""The printing page of a meeting (In ấn): ask for a printout, watch it build, download it."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from ecabinet.errors import AppError
from ecabinet.meetings import service as meetings
from ecabinet.permissions import Perm
from ecabinet.printing import service
from ecabinet.printing.http import request_printout, send_printout
from ecabinet.printing.models import KIND_LABELS, PrintKind
from ecabinet.web import actor_or_401, database, requires

bp = Blueprint("printing", __name__)


@bp.route("/meetings/<int:meeting_id>/printouts", methods=["GET"])
@requires(Perm.EDIT_MEETING)
def page(meeting_id: int) -> str:
    actor = actor_or_401()
    with database().unit_of_work(write=False) as db_session:
        meeting = meetings.load_meeting(
            db_session, actor=actor, meeting_id=meeting_id, perm=Perm.EDIT_MEETING
        )
        printouts = service.list_printouts(db_session, actor=actor, meeting_id=meeting_id)
    return render_template(
        "printing/page.html",
        meeting=meeting,
        printouts=printouts,
        KIND_LABELS=KIND_LABELS,
        public_url=str(current_app.config["PUBLIC_URL"]),
    )


@bp.route("/meetings/<int:meeting_id>/printouts", methods=["POST"])
@requires(Perm.EDIT_MEETING)
def ask(meeting_id: int) -> Response:
    kind = request.form.get("kind", "")
    try:
        if kind not in set(PrintKind):
            raise AppError("Không rõ cần in gì.")
        request_printout(
            actor_or_401(),
            meeting_id,
            PrintKind(kind),
            reissue=request.form.get("reissue") == "true",
        )
    except AppError as exc:
        flash(exc.message, "error")
    else:
        flash("Đang chuẩn bị bản in; tải về khi thanh tiến độ chạy xong.", "success")
    return redirect(url_for("printing.page", meeting_id=meeting_id))


@bp.route("/printouts/<int:printout_id>.pdf")
@requires(Perm.EDIT_MEETING)
def download(printout_id: int) -> Response:
    return send_printout(actor_or_401(), printout_id)
