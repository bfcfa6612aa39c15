"""Workspace forms for the agenda: add, edit, move up/down, delete."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from ecabinet.agenda import service
from ecabinet.agenda.schemas import AgendaItemCreate, AgendaItemUpdate
from ecabinet.errors import AppError, Invalid
from ecabinet.permissions import Perm
from ecabinet.web import (
    actor_or_401,
    database,
    form_data,
    requires,
    submit_workspace_form,
    validate,
)

bp = Blueprint("agenda", __name__)


def _back(meeting_id: int, item_id: int | None = None) -> Response:
    # Back to the item just moved, so a keyboard user can press the next button at once.
    anchor = "agenda" if item_id is None else f"item-{item_id}"
    return redirect(url_for("workspace.meeting", meeting_id=meeting_id, _anchor=anchor))


@bp.route("/meetings/<int:meeting_id>/agenda", methods=["POST"])
@requires(Perm.EDIT_MEETING)
def add(meeting_id: int) -> Response | tuple[str, int]:
    def add_item() -> str:
        fields = form_data(ints=("duration_minutes", "position", "parent_id"))
        data = validate(AgendaItemCreate, fields)
        with database().unit_of_work() as db_session:
            service.add_item(db_session, actor=actor_or_401(), meeting_id=meeting_id, data=data)
        return "Đã thêm nội dung."

    return submit_workspace_form(meeting_id, form="agenda", action=add_item, anchor="agenda")


@bp.route("/agenda/<int:item_id>/edit", methods=["GET", "POST"])
@requires(Perm.EDIT_MEETING)
def edit(item_id: int) -> Response | tuple[str, int]:
    actor = actor_or_401()
    errors: dict[str, str] = {}
    status = 200
    with database().unit_of_work(write=False) as db_session:
        item = service.get_item(db_session, item_id)
        meeting_id = item.meeting_id
    if request.method == "POST":
        try:
            fields = form_data(ints=("duration_minutes", "revision"))
            fields.setdefault("duration_minutes", None)
            data = validate(AgendaItemUpdate, fields)
            with database().unit_of_work() as db_session:
                service.update_item(db_session, actor=actor, item_id=item_id, data=data)
            flash("Đã lưu nội dung.", "success")
            return _back(meeting_id)
        except AppError as exc:
            if exc.status == 404:
                raise
            errors[exc.field or "_form"] = exc.message
            status = exc.status
    else:
        # Viewing the form also requires edit rights on the item's meeting.
        with database().unit_of_work(write=False) as db_session:
            service.load_for_edit(db_session, actor, item_id)
    values = request.form if request.method == "POST" else item.model_dump()
    html = render_template("agenda/edit.html", item=item, values=values, errors=errors)
    return html, status


@bp.route("/agenda/<int:item_id>/move", methods=["POST"])
@requires(Perm.EDIT_MEETING)
def move(item_id: int) -> Response:
    """The buttons beside each item: up, down, indent, outdent (the keyboard's way to do
    what dragging does)."""
    actor = actor_or_401()
    try:
        step = service.Nudge(request.form.get("direction", ""))
    except ValueError:
        raise Invalid("Thao tác không hợp lệ.", field="direction") from None
    with database().unit_of_work(write=False) as db_session:
        meeting_id = service.get_item(db_session, item_id).meeting_id
    try:
        with database().unit_of_work() as db_session:
            service.nudge_item(db_session, actor=actor, item_id=item_id, step=step)
    except Invalid as exc:
        flash(exc.message, "error")
    return _back(meeting_id, item_id)


@bp.route("/agenda/<int:item_id>/delete", methods=["POST"])
@requires(Perm.EDIT_MEETING)
def delete(item_id: int) -> Response:
    actor = actor_or_401()
    with database().unit_of_work(write=False) as db_session:
        meeting_id = service.get_item(db_session, item_id).meeting_id
    with database().unit_of_work() as db_session:
        service.delete_item(db_session, actor=actor, item_id=item_id)
    flash("Đã xóa nội dung.", "success")
    return _back(meeting_id)
