"""/api/v1 live endpoints: the state snapshot and the chair's controls."""

from __future__ import annotations

from flask import Blueprint, current_app
from werkzeug.wrappers import Response

from ecabinet.errors import NotFound
from ecabinet.live.control import Action, control_limit, run_control
from ecabinet.live.schemas import (
    AnnounceRequest,
    ControlArgs,
    JumpRequest,
    LiveResult,
    PresentRequest,
)
from ecabinet.live.state import state_for
from ecabinet.meetings.service import load_meeting
from ecabinet.permissions import Perm
from ecabinet.web import actor_or_401, api_doc, parse_body, request_session, requires, to_json

bp = Blueprint("live_api", __name__, url_prefix="/api/v1/meetings/<int:meeting_id>")


@bp.route("/state", methods=["GET"])
@requires(Perm.VIEW_MEETING, shared_unit_of_work=True)
@api_doc(summary="The live state snapshot, as pushed in `meeting:state` (see docs/realtime.md)")
def state(meeting_id: int) -> Response:
    actor = actor_or_401()
    db_session = request_session()
    load_meeting(db_session, actor=actor, meeting_id=meeting_id, perm=Perm.VIEW_MEETING)
    current = state_for(
        db_session, meeting_id, actor, current_app.extensions["ecabinet.live"].snapshots
    )
    if current is None:
        raise NotFound("Không tìm thấy cuộc họp.", code="meeting_not_found")
    return to_json(dict(current))


def _control(meeting_id: int, action: Action, args: ControlArgs | None = None) -> Response:
    actor = actor_or_401()
    control_limit(actor, meeting_id)
    result = run_control(
        request_session(), actor=actor, meeting_id=meeting_id, action=action, args=args
    )
    return to_json(result)


@bp.route("/live/start", methods=["POST"])
@requires(Perm.CONTROL_LIVE, shared_unit_of_work=True)
@api_doc(summary="Start the meeting on its first item", response=LiveResult)
def start(meeting_id: int) -> Response:
    return _control(meeting_id, "start")


@bp.route("/live/next", methods=["POST"])
@requires(Perm.CONTROL_LIVE, shared_unit_of_work=True)
@api_doc(summary="Move to the next agenda item", response=LiveResult)
def next_item(meeting_id: int) -> Response:
    return _control(meeting_id, "next")


@bp.route("/live/previous", methods=["POST"])
@requires(Perm.CONTROL_LIVE, shared_unit_of_work=True)
@api_doc(summary="Move to the previous agenda item", response=LiveResult)
def previous_item(meeting_id: int) -> Response:
    return _control(meeting_id, "previous")


@bp.route("/live/jump", methods=["POST"])
@requires(Perm.CONTROL_LIVE, shared_unit_of_work=True)
@api_doc(summary="Jump to an agenda item", body=JumpRequest, response=LiveResult)
def jump(meeting_id: int) -> Response:
    data = parse_body(JumpRequest)
    return _control(meeting_id, "jump", ControlArgs(item_id=data.item_id))


@bp.route("/live/pause", methods=["POST"])
@requires(Perm.CONTROL_LIVE, shared_unit_of_work=True)
@api_doc(summary="Pause the meeting: the current item's clock stops", response=LiveResult)
def pause(meeting_id: int) -> Response:
    return _control(meeting_id, "pause")


@bp.route("/live/resume", methods=["POST"])
@requires(Perm.CONTROL_LIVE, shared_unit_of_work=True)
@api_doc(summary="Resume a paused meeting", response=LiveResult)
def resume(meeting_id: int) -> Response:
    return _control(meeting_id, "resume")


@bp.route("/live/announce", methods=["POST"])
@requires(Perm.CONTROL_LIVE, shared_unit_of_work=True)
@api_doc(
    summary="Show a banner on every tablet and the room screen (empty text takes it down)",
    body=AnnounceRequest,
    response=LiveResult,
)
def announce(meeting_id: int) -> Response:
    data = parse_body(AnnounceRequest)
    return _control(meeting_id, "announce", ControlArgs(text=data.text))


@bp.route("/live/present", methods=["POST"])
@requires(Perm.CONTROL_LIVE, shared_unit_of_work=True)
@api_doc(
    summary="Presenter mode: show a document page to everyone (document_id null stops it)",
    body=PresentRequest,
    response=LiveResult,
)
def present(meeting_id: int) -> Response:
    data = parse_body(PresentRequest)
    return _control(
        meeting_id, "present", ControlArgs(document_id=data.document_id, page=data.page)
    )


@bp.route("/live/end", methods=["POST"])
@requires(Perm.CONTROL_LIVE, shared_unit_of_work=True)
@api_doc(summary="End the meeting", response=LiveResult)
def end(meeting_id: int) -> Response:
    return _control(meeting_id, "end")
