"""/api/v1 agenda endpoints."""

from __future__ import annotations

from flask import Blueprint
from werkzeug.wrappers import Response

from ecabinet.agenda import service
from ecabinet.agenda.schemas import (
    AgendaItemCreate,
    AgendaItemMove,
    AgendaItemPublic,
    AgendaItemUpdate,
)
from ecabinet.meetings.service import load_meeting
from ecabinet.permissions import Perm
from ecabinet.web import actor_or_401, api_doc, database, parse_body, requires, to_json

bp = Blueprint("agenda_api", __name__, url_prefix="/api/v1")


@bp.route("/meetings/<int:meeting_id>/agenda", methods=["GET"])
@requires(Perm.VIEW_MEETING)
@api_doc(summary="The agenda, in order", response=AgendaItemPublic, many=True)
def list_items(meeting_id: int) -> Response:
    with database().unit_of_work(write=False) as db_session:
        load_meeting(
            db_session, actor=actor_or_401(), meeting_id=meeting_id, perm=Perm.VIEW_MEETING
        )
        return to_json(service.numbered(db_session, meeting_id))


@bp.route("/meetings/<int:meeting_id>/agenda", methods=["POST"])
@requires(Perm.EDIT_AGENDA)
@api_doc(summary="Add an agenda item", body=AgendaItemCreate, response=AgendaItemPublic, status=201)
def add_item(meeting_id: int) -> Response:
    data = parse_body(AgendaItemCreate)
    with database().unit_of_work() as db_session:
        item = service.add_item(db_session, actor=actor_or_401(), meeting_id=meeting_id, data=data)
        result = service.numbered_item(db_session, item)
    return to_json(result, 201)


@bp.route("/agenda/<int:item_id>", methods=["PATCH"])
@requires(Perm.EDIT_AGENDA)
@api_doc(summary="Change an agenda item", body=AgendaItemUpdate, response=AgendaItemPublic)
def update_item(item_id: int) -> Response:
    data = parse_body(AgendaItemUpdate)
    with database().unit_of_work() as db_session:
        item = service.update_item(db_session, actor=actor_or_401(), item_id=item_id, data=data)
        result = service.numbered_item(db_session, item)
    return to_json(result)


@bp.route("/agenda/<int:item_id>/move", methods=["POST"])
@requires(Perm.EDIT_AGENDA)
@api_doc(
    summary="Move an agenda item (with its sub-items) to a position, or under another item",
    body=AgendaItemMove,
    response=AgendaItemPublic,
)
def move_item(item_id: int) -> Response:
    data = parse_body(AgendaItemMove)
    with database().unit_of_work() as db_session:
        parent = {"parent_id": data.parent_id} if "parent_id" in data.model_fields_set else {}
        item = service.move_item(
            db_session, actor=actor_or_401(), item_id=item_id, position=data.position, **parent
        )
        result = service.numbered_item(db_session, item)
    return to_json(result)


@bp.route("/agenda/<int:item_id>", methods=["DELETE"])
@requires(Perm.EDIT_AGENDA)
@api_doc(summary="Delete an agenda item", status=204)
def delete_item(item_id: int) -> Response:
    with database().unit_of_work() as db_session:
        service.delete_item(db_session, actor=actor_or_401(), item_id=item_id)
    return Response(status=204)
