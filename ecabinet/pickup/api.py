"""/api/v1 attendee links and the devices they let in."""

from __future__ import annotations

from datetime import datetime

from flask import Blueprint, request, url_for
from pydantic import BaseModel, ConfigDict, Field
from werkzeug.wrappers import Response

from ecabinet.meetings import service as meetings
from ecabinet.permissions import Perm
from ecabinet.pickup import devices, status
from ecabinet.pickup.http import issue_link, issue_links, pickup_workbook, public_url
from ecabinet.text import Id
from ecabinet.web import actor_or_401, api_doc, database, parse_body, requires, to_json

bp = Blueprint("pickup_api", __name__, url_prefix="/api/v1")


class AttendeeLink(BaseModel):
    attendee_id: int
    token: str = Field(description="The secret itself (shown once): for a card or an SMS")
    code: str = Field(
        description="The short code printed beside the QR, typed at /ma when a camera cannot "
        "scan (shown once)"
    )
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
    summary="Issue a new tablet link (the attendee's earlier links stop opening; tablets "
    "already in keep working: cut those off under /devices)",
    response=AttendeeLink,
    status=201,
)
def issue_attendee_link(attendee_id: int) -> Response:
    issued, link, qr_url = issue_link(actor_or_401(), attendee_id)
    result = AttendeeLink(
        attendee_id=attendee_id,
        token=issued.raw,
        code=issued.code,
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
            code=issued.code,
            url=base + enter.replace(mark, issued.raw),
            qr_png_url=base + qr.replace(mark, issued.raw),
            expires_at=issued.expires_at,
        )
        for issued in batch.issued
    ]
    return to_json(LinkBatch(links=links, skipped=batch.skipped), 201)


class DevicePublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str = Field(description="The secretary's name for it (empty until named)")
    user_agent: str = Field(description="What the browser called itself on its first scan")
    created_at: datetime
    expires_at: datetime
    revoked_at: datetime | None
    active: bool


class DeviceRename(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(
        default="", max_length=100, title="Tên thiết bị", description="Empty: unnamed"
    )


@bp.route("/attendees/<int:attendee_id>/devices", methods=["GET"])
@requires(Perm.EDIT_MEETING)
@api_doc(
    summary="The tablets an attendee's card let in, newest first (each with its own session)",
    response=DevicePublic,
    many=True,
)
def list_devices(attendee_id: int) -> Response:
    with database().unit_of_work(write=False) as db_session:
        found = devices.list_devices(db_session, actor=actor_or_401(), attendee_id=attendee_id)
        return to_json([DevicePublic.model_validate(d) for d in found])


@bp.route("/devices/<int:device_id>", methods=["PATCH"])
@requires(Perm.EDIT_MEETING)
@api_doc(summary="Name a device", body=DeviceRename, response=DevicePublic)
def rename_device(device_id: int) -> Response:
    data = parse_body(DeviceRename)
    with database().unit_of_work() as db_session:
        device = devices.rename_device(
            db_session, actor=actor_or_401(), device_id=device_id, name=data.name
        )
        result = DevicePublic.model_validate(devices.view_of(device))
    return to_json(result)


@bp.route("/devices/<int:device_id>/revoke", methods=["POST"])
@requires(Perm.EDIT_MEETING)
@api_doc(
    summary="Cut off one device at once (its pages and sockets close); the card and the "
    "attendee's other devices keep working",
    status=204,
)
def revoke_device(device_id: int) -> Response:
    with database().unit_of_work() as db_session:
        devices.revoke_device(db_session, actor=actor_or_401(), device_id=device_id)
    return Response(status=204)


class PickupAlertPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    attendee_id: int
    attendee_name: str
    user_agent: str = Field(description="Of the device that was refused")
    address: str = Field(description="Its IP address, as the server saw it")
    created_at: datetime


class AlertDecision(BaseModel):
    model_config = ConfigDict(extra="forbid")

    release: bool = Field(
        default=False,
        title="Mở lại cho máy mới",
        description="True: cut off the attendee's devices so the card opens on the next one "
        "that scans it. False (default): keep the refusal and only put the alert away.",
    )


@bp.route("/meetings/<int:meeting_id>/pickup-alerts", methods=["GET"])
@requires(Perm.EDIT_MEETING)
@api_doc(
    summary="Open alerts: cards of a confidential meeting tried on a second device",
    response=PickupAlertPublic,
    many=True,
)
def list_alerts(meeting_id: int) -> Response:
    with database().unit_of_work(write=False) as db_session:
        meetings.load_meeting(
            db_session, actor=actor_or_401(), meeting_id=meeting_id, perm=Perm.EDIT_MEETING
        )
        found = devices.open_alerts(db_session, meeting_id=meeting_id)
    return to_json([PickupAlertPublic.model_validate(a) for a in found])


@bp.route("/pickup-alerts/<int:alert_id>/resolve", methods=["POST"])
@requires(Perm.EDIT_MEETING)
@api_doc(
    summary="Answer an alert (release the binding, or dismiss)", body=AlertDecision, status=204
)
def resolve_alert(alert_id: int) -> Response:
    data = parse_body(AlertDecision)
    with database().unit_of_work() as db_session:
        devices.resolve_alert(
            db_session, actor=actor_or_401(), alert_id=alert_id, release=data.release
        )
    return Response(status=204)


class PickupRowPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    attendee_id: int
    full_name: str
    position: str
    unit: str
    card: str = Field(description="printed, shown (issued on screen), expired or none")
    card_at: datetime | None
    first_scan_at: datetime | None = Field(description="When a tablet first came in")
    devices: int = Field(description="Tablets in now")
    opened: list[str] = Field(description="Titles of the documents opened")


class PickupStatusPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    rows: list[PickupRowPublic]
    total: int
    documents: int
    printed: int
    scanned: int


@bp.route("/meetings/<int:meeting_id>/pickup-status", methods=["GET"])
@requires(Perm.EDIT_MEETING)
@api_doc(
    summary="Per attendee: card printed, tablet in, documents opened (500 per page: ?page=N)",
    response=PickupStatusPublic,
)
def pickup_status(meeting_id: int) -> Response:
    page_arg = request.args.get("page", "1")
    page = int(page_arg) if page_arg.isdigit() and 0 < int(page_arg) < 100_000 else 1
    with database().unit_of_work(write=False) as db_session:
        found = status.pickup_status(
            db_session,
            actor=actor_or_401(),
            meeting_id=meeting_id,
            offset=(page - 1) * 500,
            limit=500,
        )
    return to_json(PickupStatusPublic.model_validate(found))


@bp.route("/meetings/<int:meeting_id>/pickup-status.xlsx", methods=["GET"])
@requires(Perm.EDIT_MEETING)
@api_doc(summary="The pickup status of every attendee as an XLSX workbook")
def pickup_status_xlsx(meeting_id: int) -> Response:
    return pickup_workbook(meeting_id)
