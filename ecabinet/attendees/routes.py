"""Workspace forms for attendees: add, edit, delete."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from ecabinet.attendees import service
from ecabinet.attendees.schemas import AttendeeCreate, AttendeeUpdate
from ecabinet.errors import AppError
from ecabinet.permissions import Perm
from ecabinet.web import (
    actor_or_401,
    database,
    form_data,
    requires,
    submit_workspace_form,
    validate,
)

bp = Blueprint("attendees", __name__)


def _back(meeting_id: int) -> Response:
    return redirect(url_for("workspace.meeting", meeting_id=meeting_id, _anchor="attendees"))


@bp.route("/meetings/<int:meeting_id>/attendees", methods=["POST"])
@requires(Perm.EDIT_MEETING)
def add(meeting_id: int) -> Response | tuple[str, int]:
    def add_attendee() -> str:
        data = validate(AttendeeCreate, form_data())
        with database().unit_of_work() as db_session:
            service.add_attendee(db_session, actor=actor_or_401(), meeting_id=meeting_id, data=data)
        return "Đã thêm đại biểu."

    return submit_workspace_form(
        meeting_id, form="attendee", action=add_attendee, anchor="attendees"
    )


@bp.route("/attendees/<int:attendee_id>/edit", methods=["GET", "POST"])
@requires(Perm.EDIT_MEETING)
def edit(attendee_id: int) -> Response | tuple[str, int]:
    actor = actor_or_401()
    errors: dict[str, str] = {}
    with database().unit_of_work(write=False) as db_session:
        attendee = service.get_attendee(
            db_session, actor=actor, attendee_id=attendee_id, perm=Perm.EDIT_MEETING
        )
    if request.method == "POST":
        try:
            data = validate(AttendeeUpdate, form_data())
            with database().unit_of_work() as db_session:
                service.update_attendee(db_session, actor=actor, attendee_id=attendee_id, data=data)
            flash("Đã lưu đại biểu.", "success")
            return _back(attendee.meeting_id)
        except AppError as exc:
            if exc.status == 404:
                raise
            errors[exc.field or "_form"] = exc.message
    values = request.form if request.method == "POST" else attendee.model_dump()
    html = render_template("attendees/edit.html", attendee=attendee, values=values, errors=errors)
    return html, 422 if errors else 200


@bp.route("/attendees/<int:attendee_id>/delete", methods=["POST"])
@requires(Perm.EDIT_MEETING)
def delete(attendee_id: int) -> Response:
    actor = actor_or_401()
    with database().unit_of_work() as db_session:
        meeting_id = service.get_attendee(
            db_session, actor=actor, attendee_id=attendee_id, perm=Perm.EDIT_MEETING
        ).meeting_id
        service.delete_attendee(db_session, actor=actor, attendee_id=attendee_id)
    flash("Đã xóa đại biểu.", "success")
    return _back(meeting_id)
