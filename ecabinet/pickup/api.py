"""/api/v1 attendee link endpoint."""

from __future__ import annotations

from datetime import datetime

from flask import Blueprint
from pydantic import BaseModel
from werkzeug.wrappers import Response

from ecabinet.permissions import Perm
from ecabinet.pickup.http import issue_link, public_url
from ecabinet.web import actor_or_401, api_doc, requires, to_json

bp = Blueprint("pickup_api", __name__, url_prefix="/api/v1")


class AttendeeLink(BaseModel):
    attendee_id: int
    url: str
    qr_png_url: str
    expires_at: datetime


@bp.route("/attendees/<int:attendee_id>/link", methods=["POST"])
@requires(Perm.EDIT_MEETING)
@api_doc(
    summary="Issue a new tablet link (earlier links of this attendee stop working)",
    response=AttendeeLink,
    status=201,
)
def issue_attendee_link(attendee_id: int) -> Response:
    issued, link, qr_url = issue_link(actor_or_401(), attendee_id)
    result = AttendeeLink(
        attendee_id=attendee_id,
        url=link,
        qr_png_url=public_url(qr_url),
        expires_at=issued.expires_at,
    )
    return to_json(result, 201)
