"""Secretary pages: meeting list, creation, and the meeting workspace."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from ecabinet.actor import Role
from ecabinet.agenda.service import list_items
from ecabinet.attendees.service import list_attendees_for
from ecabinet.auth import service as auth
from ecabinet.auth.permissions import Perm, meeting_perms
from ecabinet.documents.service import audiences, list_documents
from ecabinet.documents.upload import delete_with_blobs
from ecabinet.errors import AppError
from ecabinet.meetings import service
from ecabinet.meetings.schemas import MeetingCreate, MeetingUpdate
from ecabinet.web import (
    actor_or_401,
    current_actor,
    database,
    form_data,
    requires,
    storage,
    validate,
)

bp = Blueprint("meetings", __name__)


@bp.route("/")
@requires(Perm.PUBLIC)
def index() -> Response:
    actor = current_actor()
    if actor is None:
        return redirect(url_for("auth.login"))
    if actor.is_attendee:
        return redirect(url_for("live.tablet"))
    return redirect(url_for("meetings.list_page"))


@bp.route("/meetings")
@requires(Perm.STAFF)
def list_page() -> str:
    actor = actor_or_401()
    with database().unit_of_work(write=False) as db_session:
        meetings = service.list_meetings(db_session, actor=actor)
    can_create = actor.role in (Role.ADMIN, Role.SECRETARY)
    return render_template("meetings/list.html", meetings=meetings, can_create=can_create)


def _chairs() -> list[Any]:
    with database().unit_of_work(write=False) as db_session:
        return auth.list_users(db_session, role=Role.CHAIR)


@bp.route("/meetings/new", methods=["GET", "POST"])
@requires(Perm.CREATE_MEETING)
def new_page() -> str | Response:
    actor = actor_or_401()
    errors: dict[str, str] = {}
    if request.method == "POST":
        try:
            data = validate(MeetingCreate, form_data(ints=("chair_id",), datetimes=("starts_at",)))
            with database().unit_of_work() as db_session:
                meeting = service.create_meeting(db_session, actor=actor, data=data)
            flash("Đã tạo cuộc họp.", "success")
            return redirect(url_for("meetings.workspace", meeting_id=meeting.id))
        except AppError as exc:
            errors[exc.field or "_form"] = exc.message
    html = render_template(
        "meetings/new.html", values=request.form, errors=errors, chairs=_chairs()
    )
    return (html, 422) if errors else html  # type: ignore[return-value]


def render_workspace(
    meeting_id: int, *, errors: dict[str, str] | None = None, form: str = "", status: int = 200
) -> tuple[str, int]:
    """The meeting workspace; `form` names the form whose values and errors are shown again."""
    actor = actor_or_401()
    with database().unit_of_work(write=False) as db_session:
        meeting = service.load_meeting(
            db_session, actor=actor, meeting_id=meeting_id, perm=Perm.VIEW_MEETING
        )
        perms = meeting_perms(actor, meeting)
        context = {
            "meeting": meeting,
            "items": list_items(db_session, meeting_id),
            "documents": list_documents(db_session, meeting_id),
            "audiences": audiences(db_session, meeting_id),
            "attendees": list_attendees_for(db_session, actor=actor, meeting_id=meeting_id)
            if Perm.VIEW_ATTENDEES in perms
            else [],
            "perms": perms,
            "chairs": auth.list_users(db_session, role=Role.CHAIR),
        }
    html = render_template(
        "meetings/workspace.html",
        errors=errors or {},
        form=form,
        values=request.form if form else {},
        Perm=Perm,
        **context,
    )
    return html, status


def submit_workspace_form(
    meeting_id: int, *, form: str, action: Callable[[], str], anchor: str = ""
) -> Response | tuple[str, int]:
    """Run one workspace form. `action` returns the success message to flash; on a user error
    the workspace is shown again with the message next to the field and the input kept."""
    try:
        done = action()
    except AppError as exc:
        if exc.status == 404:
            raise
        errors = {exc.field or ("file" if form == "document" else "_form"): exc.message}
        return render_workspace(meeting_id, errors=errors, form=form, status=exc.status)
    flash(done, "success")
    return redirect(url_for("meetings.workspace", meeting_id=meeting_id, _anchor=anchor or None))


@bp.route("/meetings/<int:meeting_id>")
@requires(Perm.STAFF)
def workspace(meeting_id: int) -> tuple[str, int]:
    return render_workspace(meeting_id)


@bp.route("/meetings/<int:meeting_id>/edit", methods=["POST"])
@requires(Perm.EDIT_MEETING)
def edit(meeting_id: int) -> Response | tuple[str, int]:
    def save() -> str:
        fields = form_data(ints=("chair_id",), datetimes=("starts_at",))
        fields.setdefault("starts_at", None)
        data = validate(MeetingUpdate, fields)
        with database().unit_of_work() as db_session:
            service.update_meeting(
                db_session, actor=actor_or_401(), meeting_id=meeting_id, data=data
            )
        return "Đã lưu thông tin cuộc họp."

    return submit_workspace_form(meeting_id, form="meeting", action=save)


@bp.route("/meetings/<int:meeting_id>/delete", methods=["POST"])
@requires(Perm.EDIT_MEETING)
def delete(meeting_id: int) -> Response:
    actor = actor_or_401()
    delete_with_blobs(
        database(),
        storage(),
        lambda db_session: service.delete_meeting(db_session, actor=actor, meeting_id=meeting_id),
    )
    flash("Đã xóa cuộc họp.", "success")
    return redirect(url_for("meetings.list_page"))
