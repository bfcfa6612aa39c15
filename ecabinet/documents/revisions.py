"""Revisions of a document: a new upload of the same document keeps the old one.

The new file is checked like a first upload (documents.inspect); it becomes current only
when the check passes (service.record_inspection), so tablets keep the old revision until
then and a refused file changes nothing they see. Staff can list every revision and
download the ones it replaced.
"""

from __future__ import annotations

from sqlmodel import Session, col, func, select

from ecabinet.actor import Actor
from ecabinet.documents import office, service
from ecabinet.documents.models import Document, DocumentRevision, DocumentStatus
from ecabinet.documents.storage import ReceivedBlob
from ecabinet.errors import Conflict, NotFound
from ecabinet.events import audit
from ecabinet.meetings import service as meetings
from ecabinet.permissions import Perm

MAX_REVISIONS = 50  # per document: each keeps its file


def add_revision(
    session: Session,
    *,
    actor: Actor,
    document_id: int,
    blob: ReceivedBlob,
    filename: str,
    content_type: str = office.PDF,
) -> DocumentRevision:
    """Record a new upload of a document as its next revision, being checked."""
    document = service.get_document(
        session, actor=actor, document_id=document_id, perm=Perm.EDIT_MEETING
    )
    meetings.require_editable(meetings.get_meeting(session, document.meeting_id))
    latest = session.exec(
        select(func.max(DocumentRevision.number), func.count()).where(
            DocumentRevision.document_id == document_id
        )
    ).one()
    highest, count = int(latest[0] or document.revision), int(latest[1])
    if count >= MAX_REVISIONS:
        raise Conflict(
            f"Mỗi tài liệu giữ tối đa {MAX_REVISIONS} bản. Hãy tải lên thành tài liệu mới.",
            code="revisions_full",
        )
    revision = DocumentRevision(
        document_id=document_id,
        number=highest + 1,
        filename=service.clean_filename(filename, extension=office.EXTENSIONS[content_type]),
        content_type=content_type,
        size=blob.size,
        sha256=blob.sha256,
        status=DocumentStatus.PROCESSING,
        uploaded_by_id=actor.user_id,
    )
    session.add(revision)
    session.flush()
    service.enqueue_inspection(session, revision)
    audit(
        session,
        actor,
        meeting_id=document.meeting_id,
        action="document.revise",
        subject=document.title,
        changes={"revision": (document.revision, revision.number)},
    )
    return revision


def list_revisions(session: Session, *, actor: Actor, document_id: int) -> list[DocumentRevision]:
    """Every revision of a document, newest first, for those who prepare its meeting."""
    service.get_document(session, actor=actor, document_id=document_id, perm=Perm.EDIT_MEETING)
    query = select(DocumentRevision).where(DocumentRevision.document_id == document_id)
    return list(session.exec(query.order_by(col(DocumentRevision.number).desc())))


def revisions_of_meeting(session: Session, meeting_id: int) -> dict[int, list[DocumentRevision]]:
    """Document id → its revisions other than the current one, newest first (the workspace
    lists them under each document)."""
    rows = session.exec(
        select(DocumentRevision)
        .join(Document, col(Document.id) == DocumentRevision.document_id)
        .where(Document.meeting_id == meeting_id, DocumentRevision.number != Document.revision)
        .order_by(col(DocumentRevision.number).desc())
    )
    found: dict[int, list[DocumentRevision]] = {}
    for row in rows:
        found.setdefault(row.document_id, []).append(row)
    return found


def get_revision(
    session: Session, *, actor: Actor, document_id: int, number: int
) -> tuple[Document, DocumentRevision]:
    """One revision, for staff of the meeting (attendees get only the current one)."""
    document = service.get_document(
        session, actor=actor, document_id=document_id, perm=Perm.EDIT_MEETING
    )
    revision = session.exec(
        select(DocumentRevision).where(
            DocumentRevision.document_id == document_id, DocumentRevision.number == number
        )
    ).first()
    if revision is None:
        raise NotFound("Không có bản này của tài liệu.", code="revision_not_found")
    return document, revision
