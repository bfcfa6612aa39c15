"""/api/v1 attendee endpoints."""

from __future__ import annotations

from flask import Blueprint, request
from pydantic import BaseModel, ConfigDict, Field
from werkzeug.wrappers import Response

from ecabinet.attendees import service
from ecabinet.attendees.schemas import AttendeeCreate, AttendeePublic, AttendeeUpdate
from ecabinet.permissions import Perm
from ecabinet.web import (
    actor_or_401,
    api_doc,
    database,
    parse_body,
    requires,
    to_json,
    validate,
)

bp = Blueprint("attendees_api", __name__, url_prefix="/api/v1")


class AttendeePage(BaseModel):
    model_config = ConfigDict(extra="forbid")

    page: int = Field(default=1, ge=1, le=1_000_000, title="Trang")
    per_page: int = Field(default=1000, ge=1, le=5000, title="Số dòng mỗi trang")
    q: str = Field(
        default="",
        max_length=200,
        title="Tìm kiếm",
        description="Words to find in name, position, unit or phone, with or without diacritics",
    )


@bp.route("/meetings/<int:meeting_id>/attendees", methods=["GET"])
@requires(Perm.VIEW_ATTENDEES)
@api_doc(
    summary="Attendees of a meeting, a page at a time in list order, or those `q` finds "
    "(X-Total-Count says how many in all; staff of the meeting; phones for its secretaries "
    "only)",
    query=AttendeePage,
    response=AttendeePublic,
    many=True,
)
def list_attendees(meeting_id: int) -> Response:
    paging = validate(AttendeePage, request.args.to_dict())
    with database().unit_of_work(write=False) as db_session:
        attendees = service.list_attendees_for(
            db_session,
            actor=actor_or_401(),
            meeting_id=meeting_id,
            offset=(paging.page - 1) * paging.per_page,
            limit=paging.per_page,
            search=paging.q,
        )
        total = service.count_attendees(db_session, meeting_id, search=paging.q)
    response = to_json([AttendeePublic.model_validate(a, from_attributes=True) for a in attendees])
    response.headers["X-Total-Count"] = str(total)
    return response


@bp.route("/meetings/<int:meeting_id>/attendees", methods=["POST"])
@requires(Perm.EDIT_MEETING)
@api_doc(summary="Add an attendee", body=AttendeeCreate, response=AttendeePublic, status=201)
def add_attendee(meeting_id: int) -> Response:
    data = parse_body(AttendeeCreate)
    with database().unit_of_work() as db_session:
        attendee = service.add_attendee(
            db_session, actor=actor_or_401(), meeting_id=meeting_id, data=data
        )
        result = AttendeePublic.model_validate(attendee)
    return to_json(result, 201)


@bp.route("/attendees/<int:attendee_id>", methods=["PATCH"])
@requires(Perm.EDIT_MEETING)
@api_doc(summary="Change an attendee", body=AttendeeUpdate, response=AttendeePublic)
def update_attendee(attendee_id: int) -> Response:
    data = parse_body(AttendeeUpdate)
    with database().unit_of_work() as db_session:
        attendee = service.update_attendee(
            db_session, actor=actor_or_401(), attendee_id=attendee_id, data=data
        )
        result = AttendeePublic.model_validate(attendee)
    return to_json(result)


@bp.route("/attendees/<int:attendee_id>", methods=["DELETE"])
@requires(Perm.EDIT_MEETING)
@api_doc(summary="Remove an attendee (their links stop working)", status=204)
def delete_attendee(attendee_id: int) -> Response:
    with database().unit_of_work() as db_session:
        service.delete_attendee(db_session, actor=actor_or_401(), attendee_id=attendee_id)
    return Response(status=204)
