"""The secretary's pages: meeting list, creation, and one meeting's workspace (its agenda,
documents and attendees on one page). Composes the features; none of them imports it."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from ecabinet.actor import Role
from ecabinet.agenda.service import agenda_groups, numbered
from ecabinet.attendees.service import count_attendees, list_attendees_for
from ecabinet.auth import service as auth
from ecabinet.documents.access import level_of, viewing_counts
from ecabinet.documents.revisions import revisions_of_meeting
from ecabinet.documents.service import audiences, list_documents
from ecabinet.errors import AppError
from ecabinet.meetings import lifecycle, service
from ecabinet.meetings.schemas import MeetingCreate, MeetingFilters, MeetingUpdate
from ecabinet.permissions import Perm, meeting_perms
from ecabinet.pickup.devices import open_alerts
from ecabinet.web import (
    actor_or_401,
    current_actor,
    database,
    form_data,
    local_time,
    local_zone,
    requires,
    submit_workspace_form,
    validate,
)
from ecabinet.workspace.duplicate import duplicate_meeting

bp = Blueprint("workspace", __name__)
ATTENDEES_PER_PAGE = 200  # a congress has 50,000: the page shows them a page at a time


@bp.route("/")
@requires(Perm.PUBLIC)
def index() -> Response:
    actor = current_actor()
    if actor is None:
        return redirect(url_for("auth.login"))
    if actor.is_attendee:
        return redirect(url_for("live.tablet"))
    if actor.is_screen:
        return redirect(url_for("live.paired_screen"))
    return redirect(url_for("workspace.list_page"))


@bp.route("/meetings")
@requires(Perm.STAFF)
def list_page() -> tuple[str, int]:
    actor = actor_or_401()
    args = {k: v for k, v in request.args.items() if v.strip()}
    errors: dict[str, str] = {}
    try:
        filters = validate(
            MeetingFilters,
            form_data(dates=("date_from", "date_to"), ints=("page",), source=request.args),
        )
    except AppError as exc:
        errors[exc.field or "_form"] = exc.message
        filters = MeetingFilters()
    with database().unit_of_work(write=False) as db_session:
        meetings, total = service.search_meetings(
            db_session, actor=actor, filters=filters, zone=local_zone()
        )
    html = render_template(
        "meetings/list.html",
        meetings=meetings,
        total=total,
        page=filters.page,
        pages=max(1, -(-total // filters.per_page)),
        args=args,
        errors=errors,
        can_create=actor.role in (Role.ADMIN, Role.SECRETARY),
    )
    return html, 422 if errors else 200


def _people(role: Role) -> list[Any]:
    with database().unit_of_work(write=False) as db_session:
        return auth.list_users(db_session, role=role)


MEETING_FORM = {
    "ints": ("chair_id", "revision"),
    "datetimes": ("starts_at", "ends_at"),
    "lists": ("secretary_ids",),
}


@bp.route("/meetings/new", methods=["GET", "POST"])
@requires(Perm.CREATE_MEETING)
def new_page() -> str | Response:
    actor = actor_or_401()
    errors: dict[str, str] = {}
    if request.method == "POST":
        try:
            data = validate(MeetingCreate, form_data(**MEETING_FORM, skip=("revision",)))
            with database().unit_of_work() as db_session:
                meeting = service.create_meeting(db_session, actor=actor, data=data)
            flash("Đã tạo cuộc họp.", "success")
            return redirect(url_for("workspace.meeting", meeting_id=meeting.id))
        except AppError as exc:
            errors[exc.field or "_form"] = exc.message
    html = render_template(
        "meetings/new.html",
        values=request.form,
        errors=errors,
        chairs=_people(Role.CHAIR),
        secretaries=[s for s in _people(Role.SECRETARY) if s.id != actor.user_id],
    )
    return (html, 422) if errors else html  # type: ignore[return-value]


def _meeting_values(meeting: Any) -> dict[str, Any]:
    """The edit form's values as people write them (dd/mm/yyyy hh:mm)."""
    when = "%d/%m/%Y %H:%M"
    return {
        "title": meeting.title,
        "kind": meeting.kind,
        "organiser": meeting.organiser,
        "location": meeting.location,
        "starts_at": local_time(meeting.starts_at, when),
        "ends_at": local_time(meeting.ends_at, when),
        "confidentiality": meeting.confidentiality,
        "public_agenda": "true" if meeting.public_agenda else "",
        "chair_id": str(meeting.chair_id) if meeting.chair_id else "",
        "secretary_ids": [str(s.user_id) for s in meeting.co_secretaries],
        "revision": meeting.revision,
    }


def render_workspace(
    meeting_id: int, *, errors: dict[str, str] | None = None, form: str = "", status: int = 200
) -> tuple[str, int]:
    """The meeting workspace; `form` names the form whose values and errors are shown again."""
    actor = actor_or_401()
    page_arg = request.args.get("attendees_page", "1")
    attendee_page = int(page_arg) if page_arg.isdigit() and 0 < int(page_arg) < 100_000 else 1
    attendee_search = request.args.get("attendees_q", "")[:200]
    with database().unit_of_work(write=False) as db_session:
        meeting = service.load_meeting(
            db_session, actor=actor, meeting_id=meeting_id, perm=Perm.VIEW_MEETING
        )
        perms = meeting_perms(actor, meeting)
        items = numbered(db_session, meeting_id)
        context = {
            "meeting": meeting,
            "items": items,
            **agenda_groups(items),
            "documents": list_documents(db_session, meeting_id),
            "audiences": audiences(db_session, meeting_id),
            "revisions": revisions_of_meeting(db_session, meeting_id),
            "viewings": viewing_counts(db_session, meeting_id),
            "level_of": level_of,
            "office_hint": "Tệp Word, Excel được chuyển sang PDF để đọc trên máy tính bảng."
            if current_app.config["OFFICE_CONVERTER"]
            else "Tệp Word, Excel được lưu nguyên để đại biểu tải về; muốn đọc ngay trên máy "
            "tính bảng, hãy tải lên bản PDF.",
            "attendees": list_attendees_for(
                db_session,
                actor=actor,
                meeting_id=meeting_id,
                offset=(attendee_page - 1) * ATTENDEES_PER_PAGE,
                limit=ATTENDEES_PER_PAGE,
                search=attendee_search,
            )
            if Perm.VIEW_ATTENDEES in perms
            else [],
            "attendee_total": count_attendees(db_session, meeting_id, search=attendee_search)
            if Perm.VIEW_ATTENDEES in perms
            else 0,
            "attendee_page": attendee_page,
            "attendee_search": attendee_search,
            "attendee_all": count_attendees(db_session, meeting_id)
            if Perm.VIEW_ATTENDEES in perms and attendee_search
            else None,
            "attendee_pages": 1,
            "pickup_alerts": open_alerts(db_session, meeting_id=meeting_id)
            if Perm.EDIT_MEETING in perms
            else [],
            "perms": perms,
            "chairs": auth.list_users(db_session, role=Role.CHAIR),
            "secretaries": auth.list_users(db_session, role=Role.SECRETARY),
            "meeting_values": _meeting_values(meeting),
        }
    total = context["attendee_total"]
    assert isinstance(total, int)
    context["attendee_pages"] = max(1, -(-total // ATTENDEES_PER_PAGE))
    html = render_template(
        "meetings/workspace.html",
        errors=errors or {},
        form=form,
        values=request.form if form else {},
        Perm=Perm,
        **context,
    )
    return html, status


@bp.route("/meetings/<int:meeting_id>")
@requires(Perm.STAFF)
def meeting(meeting_id: int) -> tuple[str, int]:
    return render_workspace(meeting_id)


@bp.route("/meetings/<int:meeting_id>/edit", methods=["POST"])
@requires(Perm.EDIT_MEETING)
def edit(meeting_id: int) -> Response | tuple[str, int]:
    def save() -> str:
        fields = form_data(**MEETING_FORM)
        for cleared in ("starts_at", "ends_at", "chair_id"):  # a blank field clears the value
            fields.setdefault(cleared, None)
        fields.setdefault("public_agenda", False)  # an unticked box sends nothing
        data = validate(MeetingUpdate, fields)
        with database().unit_of_work() as db_session:
            service.update_meeting(
                db_session, actor=actor_or_401(), meeting_id=meeting_id, data=data
            )
        return "Đã lưu thông tin cuộc họp."

    return submit_workspace_form(meeting_id, form="meeting", action=save)


TRANSITION_DONE = {
    "publish": "Đã công bố cuộc họp.",
    "unpublish": "Cuộc họp đã trở về bản nháp.",
    "archive": "Đã lưu trữ cuộc họp.",
}


@bp.route("/meetings/<int:meeting_id>/<any(publish, unpublish, archive):action>", methods=["POST"])
@requires(Perm.EDIT_MEETING)
def transition(meeting_id: int, action: str) -> Response | tuple[str, int]:
    def move() -> str:
        with database().unit_of_work() as db_session:
            lifecycle.transition(
                db_session, actor=actor_or_401(), meeting_id=meeting_id, action=action
            )
        return TRANSITION_DONE[action]

    return submit_workspace_form(meeting_id, form="meeting", action=move)


@bp.route("/meetings/<int:meeting_id>/duplicate", methods=["POST"])
@requires(Perm.EDIT_MEETING)
def duplicate(meeting_id: int) -> Response:
    with database().unit_of_work() as db_session:
        copy = duplicate_meeting(db_session, actor=actor_or_401(), meeting_id=meeting_id)
    flash("Đã tạo bản sao: hãy sửa tên, thời gian rồi công bố.", "success")
    return redirect(url_for("workspace.meeting", meeting_id=copy.id))


@bp.route("/meetings/<int:meeting_id>/delete", methods=["POST"])
@requires(Perm.EDIT_MEETING)
def delete(meeting_id: int) -> Response:
    actor = actor_or_401()
    with database().unit_of_work() as db_session:
        service.delete_meeting(db_session, actor=actor, meeting_id=meeting_id)
    flash("Đã xóa cuộc họp.", "success")
    return redirect(url_for("workspace.list_page"))
