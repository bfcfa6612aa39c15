"""/api/v1/meetings."""

from __future__ import annotations

from flask import Blueprint
from werkzeug.wrappers import Response

from ecabinet.meetings import service
from ecabinet.meetings.schemas import MeetingCreate, MeetingPublic, MeetingUpdate
from ecabinet.permissions import Perm
from ecabinet.web import actor_or_401, api_doc, database, parse_body, requires, to_json

bp = Blueprint("meetings_api", __name__, url_prefix="/api/v1/meetings")


@bp.route("", methods=["GET"])
@requires(Perm.STAFF)
@api_doc(summary="Meetings the caller prepares or chairs", response=MeetingPublic, many=True)
def list_meetings() -> Response:
    with database().unit_of_work(write=False) as db_session:
        meetings = service.list_meetings(db_session, actor=actor_or_401())
        return to_json([MeetingPublic.model_validate(m) for m in meetings])


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
