"""/api/v1 printouts: ask, watch the progress, download."""

from __future__ import annotations

from datetime import datetime

from flask import Blueprint, url_for
from pydantic import BaseModel, ConfigDict, Field
from werkzeug.wrappers import Response

from ecabinet.permissions import Perm
from ecabinet.printing import service
from ecabinet.printing.http import request_printout, send_printout
from ecabinet.printing.models import PrintKind, Printout
from ecabinet.text import Id
from ecabinet.web import actor_or_401, api_doc, database, parse_body, requires, to_json

bp = Blueprint("printing_api", __name__, url_prefix="/api/v1")


class PrintoutRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: PrintKind = Field(title="Loại bản in")
    attendee_ids: list[Id] | None = Field(
        default=None,
        max_length=100_000,
        title="Đại biểu",
        description="Cards only. Default: every attendee",
    )
    reissue: bool = Field(
        default=False,
        title="In lại",
        description="Cards only: also print new cards for attendees whose card still works "
        "(their old card stops opening; tablets already in stay in)",
    )


class PrintoutPublic(BaseModel):
    id: int
    meeting_id: int
    kind: str
    status: str = Field(description="queued, running, ready or failed")
    done: int
    total: int
    message: str
    size: int
    created_at: datetime
    finished_at: datetime | None
    file_url: str | None = Field(description="Once ready")


def _public(printout: Printout) -> PrintoutPublic:
    assert printout.id is not None
    return PrintoutPublic(
        id=printout.id,
        meeting_id=printout.meeting_id,
        kind=printout.kind,
        status=printout.status,
        done=printout.done,
        total=printout.total,
        message=printout.message,
        size=printout.size,
        created_at=printout.created_at,
        finished_at=printout.finished_at,
        file_url=url_for("printing_api.file", printout_id=printout.id)
        if printout.status == "ready"
        else None,
    )


@bp.route("/meetings/<int:meeting_id>/printouts", methods=["POST"])
@requires(Perm.EDIT_MEETING)
@api_doc(
    summary="Ask for a printout (built by a job; needs ECABINET_PUBLIC_URL): cards, agenda, "
    "covers or poster",
    body=PrintoutRequest,
    response=PrintoutPublic,
    status=202,
)
def ask(meeting_id: int) -> Response:
    data = parse_body(PrintoutRequest)
    printout = request_printout(
        actor_or_401(), meeting_id, data.kind, attendee_ids=data.attendee_ids, reissue=data.reissue
    )
    return to_json(_public(printout), 202)


@bp.route("/meetings/<int:meeting_id>/printouts", methods=["GET"])
@requires(Perm.EDIT_MEETING)
@api_doc(summary="A meeting's printouts, newest first", response=PrintoutPublic, many=True)
def list_printouts(meeting_id: int) -> Response:
    with database().unit_of_work(write=False) as db_session:
        found = service.list_printouts(db_session, actor=actor_or_401(), meeting_id=meeting_id)
        return to_json([_public(p) for p in found])


@bp.route("/printouts/<int:printout_id>", methods=["GET"])
@requires(Perm.EDIT_MEETING)
@api_doc(summary="One printout and its progress", response=PrintoutPublic)
def get(printout_id: int) -> Response:
    with database().unit_of_work(write=False) as db_session:
        printout = service.get_printout(db_session, actor=actor_or_401(), printout_id=printout_id)
        return to_json(_public(printout))


@bp.route("/printouts/<int:printout_id>/file", methods=["GET"])
@requires(Perm.EDIT_MEETING)
@api_doc(summary="The PDF of a ready printout (a card printout's download is audited)")
def file(printout_id: int) -> Response:
    return send_printout(actor_or_401(), printout_id)
