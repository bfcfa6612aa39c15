"""/api/v1 live endpoints: the state snapshot and the chair's controls."""

from __future__ import annotations

from flask import Blueprint, current_app
from werkzeug.wrappers import Response

from ecabinet import limits
from ecabinet.errors import NotFound
from ecabinet.live import screens
from ecabinet.live.control import Action, control_limit, run_control
from ecabinet.live.schemas import (
    AnnounceRequest,
    ControlArgs,
    JumpRequest,
    LiveResult,
    PairScreenRequest,
    PresentRequest,
    ScreenPublic,
)
from ecabinet.live.state import state_for
from ecabinet.meetings.service import load_meeting
from ecabinet.permissions import Perm
from ecabinet.web import (
    actor_or_401,
    api_doc,
    database,
    parse_body,
    request_session,
    requires,
    to_json,
)

bp = Blueprint("live_api", __name__, url_prefix="/api/v1/meetings/<int:meeting_id>")
screens_bp = Blueprint("screens_api", __name__, url_prefix="/api/v1/screens")


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


@bp.route("/screens", methods=["GET"])
@requires(Perm.CONTROL_LIVE)
@api_doc(summary="The meeting's room screens, newest first", response=ScreenPublic, many=True)
def list_screens(meeting_id: int) -> Response:
    with database().unit_of_work(write=False) as db_session:
        found = screens.list_screens(db_session, actor=actor_or_401(), meeting_id=meeting_id)
    return to_json([ScreenPublic.model_validate(s, from_attributes=True) for s in found])


@bp.route("/screens", methods=["POST"])
@requires(Perm.CONTROL_LIVE)
@api_doc(
    summary="Pair the room screen showing this code to the meeting",
    body=PairScreenRequest,
    response=ScreenPublic,
    status=201,
)
def pair_screen(meeting_id: int) -> Response:
    actor = actor_or_401()
    data = parse_body(PairScreenRequest)
    limits.hit("SCREEN_CODE_LIMIT", f"user:{actor.user_id}")  # six digits: no guessing
    with database().unit_of_work() as db_session:
        paired = screens.pair_screen(
            db_session, actor=actor, meeting_id=meeting_id, code=data.code, name=data.name
        )
    return to_json(ScreenPublic.model_validate(paired, from_attributes=True), 201)


@screens_bp.route("/<int:screen_id>/revoke", methods=["POST"])
@requires(Perm.CONTROL_LIVE)
@api_doc(
    summary="Cut a room screen off (its connection closes within a second)", response=ScreenPublic
)
def revoke_screen(screen_id: int) -> Response:
    with database().unit_of_work() as db_session:
        revoked = screens.revoke_screen(db_session, actor=actor_or_401(), screen_id=screen_id)
    return to_json(ScreenPublic.model_validate(revoked, from_attributes=True))
