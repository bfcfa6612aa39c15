"""/api/v1 endpoints of a delegate's private notes on a document (documents.notes)."""

from __future__ import annotations

from flask import Blueprint
from werkzeug.wrappers import Response

from ecabinet.documents import notes
from ecabinet.documents.notes import NotePublic, NoteUpdate
from ecabinet.permissions import Perm
from ecabinet.web import actor_or_401, api_doc, database, parse_body, requires, to_json

bp = Blueprint("document_notes_api", __name__, url_prefix="/api/v1")

# VIEW_MEETING, not ATTENDEE: the gate then answers other meetings' staff and delegates 404
# before anything else (as every object route); the service refuses this meeting's staff (403
# notes_for_delegates_only) and serves a delegate their own note only.


@bp.route("/documents/<int:document_id>/note", methods=["GET"])
@requires(Perm.VIEW_MEETING)
@api_doc(summary="The delegate's own note on a document (delegates only)", response=NotePublic)
def get_note(document_id: int) -> Response:
    with database().unit_of_work(write=False) as db_session:
        note = notes.get_note(db_session, actor=actor_or_401(), document_id=document_id)
    return to_json(note)


@bp.route("/documents/<int:document_id>/note", methods=["PUT"])
@requires(Perm.VIEW_MEETING)
@api_doc(
    summary="Save the delegate's own note on a document; an empty body deletes it (delegates only)",
    body=NoteUpdate,
    response=NotePublic,
)
def save_note(document_id: int) -> Response:
    data = parse_body(NoteUpdate)
    with database().unit_of_work() as db_session:
        note = notes.save_note(
            db_session,
            actor=actor_or_401(),
            document_id=document_id,
            body=data.body,
            expected_updated_at=data.expected_updated_at,
        )
    return to_json(note)
