"""/api/v1 attendee link endpoint."""

from __future__ import annotations

from datetime import datetime

from flask import Blueprint, request, url_for
from pydantic import BaseModel, ConfigDict, Field
from werkzeug.wrappers import Response

from ecabinet.permissions import Perm
from ecabinet.pickup.http import issue_link, issue_links, public_url
from ecabinet.text import Id
from ecabinet.web import actor_or_401, api_doc, parse_body, requires, to_json

bp = Blueprint("pickup_api", __name__, url_prefix="/api/v1")


class AttendeeLink(BaseModel):
    attendee_id: int
    token: str = Field(description="The secret itself (shown once): for a card or an SMS")
    url: str
    qr_png_url: str
    expires_at: datetime


class LinkRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    attendee_ids: list[Id] | None = Field(
        default=None,
        max_length=100_000,
        title="Đại biểu",
        description="Default: every attendee of the meeting",
    )
    reissue: bool = Field(
        default=False,
        title="Cấp lại",
        description="Also replace links that still work (their old links stop working)",
    )


class LinkBatch(BaseModel):
    links: list[AttendeeLink]
    skipped: list[int] = Field(description="Attendees who kept their working link")


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
        token=issued.raw,
        url=link,
        qr_png_url=public_url(qr_url),
        expires_at=issued.expires_at,
    )
    return to_json(result, 201)


@bp.route("/meetings/<int:meeting_id>/links", methods=["POST"])
@requires(Perm.EDIT_MEETING)
@api_doc(
    summary="Tablet links for many attendees at once (default: everyone without a working link)",
    body=LinkRequest,
    response=LinkBatch,
    status=201,
)
def issue_meeting_links(meeting_id: int) -> Response:
    data = parse_body(LinkRequest) if request.content_length else LinkRequest()
    batch, base = issue_links(actor_or_401(), meeting_id, data.attendee_ids, reissue=data.reissue)
    mark = "TOKEN-PLACEHOLDER"  # url_for once, not 50,000 times
    enter, qr = url_for("pickup.enter", token=mark), url_for("pickup.qr", token=mark)
    links = [
        AttendeeLink(
            attendee_id=issued.attendee_id,
            token=issued.raw,
            url=base + enter.replace(mark, issued.raw),
            qr_png_url=base + qr.replace(mark, issued.raw),
            expires_at=issued.expires_at,
        )
        for issued in batch.issued
    ]
    return to_json(LinkBatch(links=links, skipped=batch.skipped), 201)
