"""/api/v1 routes of the workspace: what spans features (duplicating a meeting)."""

from __future__ import annotations

from flask import Blueprint, request
from pydantic import BaseModel, ConfigDict, Field
from werkzeug.wrappers import Response

from ecabinet.meetings.schemas import MeetingPublic
from ecabinet.permissions import Perm
from ecabinet.text import RequiredText
from ecabinet.web import actor_or_401, api_doc, database, parse_body, requires, to_json
from ecabinet.workspace.duplicate import duplicate_meeting

bp = Blueprint("workspace_api", __name__, url_prefix="/api/v1/meetings/<int:meeting_id>")


class DuplicateRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: RequiredText | None = Field(
        default=None, max_length=300, title="Tên cuộc họp mới", description="Default: '… (bản sao)'"
    )


@bp.route("/duplicate", methods=["POST"])
@requires(Perm.EDIT_MEETING)
@api_doc(
    summary="A new draft with this meeting's details, agenda, attendees and document links",
    body=DuplicateRequest,
    response=MeetingPublic,
    status=201,
)
def duplicate(meeting_id: int) -> Response:
    # The body is optional; one that is there must be a valid one.
    data = parse_body(DuplicateRequest) if request.content_length else DuplicateRequest()
    with database().unit_of_work() as db_session:
        copy = duplicate_meeting(
            db_session, actor=actor_or_401(), meeting_id=meeting_id, title=data.title
        )
        result = MeetingPublic.model_validate(copy)
    return to_json(result, 201)
