"""/api/v1/meetings."""

from __future__ import annotations

from flask import Blueprint, request
from werkzeug.wrappers import Response

from ecabinet.meetings import lifecycle, service
from ecabinet.meetings.schemas import (
    MeetingCreate,
    MeetingFilters,
    MeetingPage,
    MeetingPublic,
    MeetingUpdate,
)
from ecabinet.permissions import Perm
from ecabinet.web import (
    actor_or_401,
    api_doc,
    database,
    local_zone,
    parse_body,
    requires,
    to_json,
    validate,
)

bp = Blueprint("meetings_api", __name__, url_prefix="/api/v1/meetings")


@bp.route("", methods=["GET"])
@requires(Perm.STAFF)
@api_doc(
    summary="Meetings the caller prepares or chairs: search, filter by state and dates, pages",
    query=MeetingFilters,
    response=MeetingPage,
)
def list_meetings() -> Response:
    filters = validate(MeetingFilters, request.args.to_dict())
    with database().unit_of_work(write=False) as db_session:
        meetings, total = service.search_meetings(
            db_session, actor=actor_or_401(), filters=filters, zone=local_zone()
        )
        page = MeetingPage(
            items=[MeetingPublic.model_validate(m) for m in meetings],
            total=total,
            page=filters.page,
            per_page=filters.per_page,
        )
    return to_json(page)


@bp.route("", methods=["POST"])
@requires(Perm.CREATE_MEETING)
@api_doc(summary="Create a meeting", body=MeetingCreate, response=MeetingPublic, status=201)
def create_meeting() -> Response:
    data = parse_body(MeetingCreate)
    with database().unit_of_work() as db_session:
        meeting = service.create_meeting(db_session, actor=actor_or_401(), data=data)
        return to_json(MeetingPublic.model_validate(meeting), 201)


@bp.route("/<int:meeting_id>", methods=["GET"])
@requires(Perm.VIEW_MEETING)
@api_doc(summary="One meeting", response=MeetingPublic)
def get_meeting(meeting_id: int) -> Response:
    with database().unit_of_work(write=False) as db_session:
        meeting = service.load_meeting(
            db_session, actor=actor_or_401(), meeting_id=meeting_id, perm=Perm.VIEW_MEETING
        )
        return to_json(MeetingPublic.model_validate(meeting))


@bp.route("/<int:meeting_id>", methods=["PATCH"])
@requires(Perm.EDIT_MEETING)
@api_doc(summary="Change a meeting", body=MeetingUpdate, response=MeetingPublic)
def update_meeting(meeting_id: int) -> Response:
    data = parse_body(MeetingUpdate)
    with database().unit_of_work() as db_session:
        meeting = service.update_meeting(
            db_session, actor=actor_or_401(), meeting_id=meeting_id, data=data
        )
        result = MeetingPublic.model_validate(meeting)
    return to_json(result)


@bp.route("/<int:meeting_id>", methods=["DELETE"])
@requires(Perm.EDIT_MEETING)
@api_doc(summary="Delete a meeting that is not live", status=204)
def delete_meeting(meeting_id: int) -> Response:
    with database().unit_of_work() as db_session:
        service.delete_meeting(db_session, actor=actor_or_401(), meeting_id=meeting_id)
    return Response(status=204)


def _transition(meeting_id: int, action: str) -> Response:
    with database().unit_of_work() as db_session:
        meeting = lifecycle.transition(
            db_session, actor=actor_or_401(), meeting_id=meeting_id, action=action
        )
        result = MeetingPublic.model_validate(meeting)
    return to_json(result)


@bp.route("/<int:meeting_id>/publish", methods=["POST"])
@requires(Perm.EDIT_MEETING)
@api_doc(summary="Publish a draft meeting (needs its start time)", response=MeetingPublic)
def publish(meeting_id: int) -> Response:
    return _transition(meeting_id, "publish")


@bp.route("/<int:meeting_id>/unpublish", methods=["POST"])
@requires(Perm.EDIT_MEETING)
@api_doc(summary="Back to draft, before it has started", response=MeetingPublic)
def unpublish(meeting_id: int) -> Response:
    return _transition(meeting_id, "unpublish")


@bp.route("/<int:meeting_id>/archive", methods=["POST"])
@requires(Perm.EDIT_MEETING)
@api_doc(
    summary="Archive an ended meeting (read-only; delegates' links end)", response=MeetingPublic
)
def archive(meeting_id: int) -> Response:
    return _transition(meeting_id, "archive")
