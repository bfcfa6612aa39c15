"""/api/v1 document endpoints."""

from __future__ import annotations

from flask import Blueprint
from werkzeug.wrappers import Response

from ecabinet.documents import access, revisions, service, upload
from ecabinet.documents.http import storage, upload_from_request, upload_revision_from_request
from ecabinet.documents.schemas import (
    AccessPublic,
    AudiencePublic,
    AudienceUpdate,
    DocumentPublic,
    DocumentUpdate,
    DocumentUploadFields,
    RevisionPublic,
    RevisionUploadFields,
)
from ecabinet.meetings.service import load_meeting
from ecabinet.permissions import Perm
from ecabinet.web import (
    actor_or_401,
    api_doc,
    database,
    parse_body,
    requires,
    to_json,
)

bp = Blueprint("documents_api", __name__, url_prefix="/api/v1")


@bp.route("/meetings/<int:meeting_id>/documents", methods=["GET"])
@requires(Perm.VIEW_MEETING)
@api_doc(summary="Documents of a meeting", response=DocumentPublic, many=True)
def list_documents(meeting_id: int) -> Response:
    with database().unit_of_work(write=False) as db_session:
        load_meeting(
            db_session, actor=actor_or_401(), meeting_id=meeting_id, perm=Perm.VIEW_MEETING
        )
        documents = service.visible_documents(
            db_session, actor=actor_or_401(), meeting_id=meeting_id
        )
        return to_json([DocumentPublic.model_validate(d) for d in documents])


@bp.route("/meetings/<int:meeting_id>/documents", methods=["POST"])
@requires(Perm.EDIT_MEETING)
@api_doc(
    summary="Upload a PDF (multipart/form-data: `file` plus the fields below)",
    body=DocumentUploadFields,
    response=DocumentPublic,
    status=201,
    multipart={"file": "The PDF"},
)
def upload_document(meeting_id: int) -> Response:
    return to_json(upload_from_request(actor_or_401(), meeting_id), 201)


@bp.route("/documents/<int:document_id>", methods=["GET"])
@requires(Perm.VIEW_MEETING)
@api_doc(summary="One document's metadata (bytes: /documents/{id}/file)", response=DocumentPublic)
def get_document(document_id: int) -> Response:
    with database().unit_of_work(write=False) as db_session:
        document = service.get_document(
            db_session, actor=actor_or_401(), document_id=document_id, perm=Perm.VIEW_MEETING
        )
        return to_json(DocumentPublic.model_validate(document))


@bp.route("/documents/<int:document_id>", methods=["PATCH"])
@requires(Perm.EDIT_MEETING)
@api_doc(
    summary="Rename a document, attach it to an agenda item or change its level",
    body=DocumentUpdate,
    response=DocumentPublic,
)
def update_document(document_id: int) -> Response:
    data = parse_body(DocumentUpdate)
    with database().unit_of_work() as db_session:
        document = service.update_document(
            db_session, actor=actor_or_401(), document_id=document_id, data=data
        )
        result = DocumentPublic.model_validate(document)
    return to_json(result)


@bp.route("/documents/<int:document_id>/viewings", methods=["GET"])
@requires(Perm.EDIT_MEETING)
@api_doc(
    summary="Who viewed a Mật / Tối mật document, when and which revision, newest first",
    response=AccessPublic,
    many=True,
)
def list_viewings(document_id: int) -> Response:
    with database().unit_of_work(write=False) as db_session:
        service.get_document(
            db_session, actor=actor_or_401(), document_id=document_id, perm=Perm.EDIT_MEETING
        )
        return to_json(
            [AccessPublic.model_validate(v) for v in access.viewings(db_session, document_id)]
        )


@bp.route("/documents/<int:document_id>", methods=["DELETE"])
@requires(Perm.EDIT_MEETING)
@api_doc(summary="Delete a document", status=204)
def delete_document(document_id: int) -> Response:
    upload.delete_document(database(), storage(), actor=actor_or_401(), document_id=document_id)
    return Response(status=204)


@bp.route("/documents/<int:document_id>/revisions", methods=["GET"])
@requires(Perm.EDIT_MEETING)
@api_doc(
    summary="Every revision of a document, newest first (file: "
    "/documents/{id}/revisions/{number}/file)",
    response=RevisionPublic,
    many=True,
)
def list_revisions(document_id: int) -> Response:
    with database().unit_of_work(write=False) as db_session:
        found = revisions.list_revisions(db_session, actor=actor_or_401(), document_id=document_id)
        return to_json([RevisionPublic.model_validate(r) for r in found])


@bp.route("/documents/<int:document_id>/revisions", methods=["POST"])
@requires(Perm.EDIT_MEETING)
@api_doc(
    summary="Upload a new revision (multipart/form-data: `file`); it becomes current once "
    "checked, and the one it replaces is kept",
    body=RevisionUploadFields,
    response=RevisionPublic,
    status=201,
    multipart={"file": "The new revision's file"},
)
def upload_revision(document_id: int) -> Response:
    return to_json(upload_revision_from_request(actor_or_401(), document_id), 201)


@bp.route("/documents/<int:document_id>/audience", methods=["GET"])
@requires(Perm.EDIT_MEETING)
@api_doc(
    summary="Who a document is for: every attendee, or the chosen ones", response=AudiencePublic
)
def get_audience(document_id: int) -> Response:
    with database().unit_of_work(write=False) as db_session:
        document = service.get_document(
            db_session, actor=actor_or_401(), document_id=document_id, perm=Perm.EDIT_MEETING
        )
        chosen = service.audience_of(db_session, document)
        return to_json(AudiencePublic(audience=document.audience, attendee_ids=sorted(chosen)))


@bp.route("/documents/<int:document_id>/audience", methods=["PUT"])
@requires(Perm.EDIT_MEETING)
@api_doc(
    summary="Give a document to every attendee, or to chosen attendees only (pushed at once)",
    body=AudienceUpdate,
    response=AudiencePublic,
)
def set_audience(document_id: int) -> Response:
    data = parse_body(AudienceUpdate)
    with database().unit_of_work() as db_session:
        chosen = service.set_audience(
            db_session,
            actor=actor_or_401(),
            document_id=document_id,
            audience=data.audience,
            attendee_ids=data.attendee_ids,
        )
    return to_json(AudiencePublic(audience=data.audience, attendee_ids=sorted(chosen)))
