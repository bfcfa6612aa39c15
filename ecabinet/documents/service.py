"""Documents of a meeting: rows that point at blobs in Storage."""

from __future__ import annotations

import unicodedata
from pathlib import PurePosixPath, PureWindowsPath

from sqlmodel import Session, col, func, select

from ecabinet.actor import Actor
from ecabinet.agenda.models import AgendaItem
from ecabinet.auth.permissions import Perm
from ecabinet.documents.models import Document, DocumentStatus
from ecabinet.documents.pdf import PdfInfo
from ecabinet.documents.storage import ReceivedBlob
from ecabinet.errors import Conflict, Invalid, NotFound
from ecabinet.jobs import service as jobs
from ecabinet.meetings import service as meetings

MAX_DOCUMENTS_PER_MEETING = 300
INSPECT_JOB = "documents.inspect"
MAX_FILENAME = 255  # the column's length


def clean_filename(raw: str, *, max_length: int = MAX_FILENAME) -> str:
    """Keep only the last path part, NFC, no control characters; always ends in .pdf.
    A long name keeps its beginning (where people put what it is) and its extension."""
    name = unicodedata.normalize("NFC", raw or "")
    name = PureWindowsPath(PurePosixPath(name).name).name
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C").strip(" .")
    if not name:
        name = "tai-lieu.pdf"
    if not name.lower().endswith(".pdf"):
        name += ".pdf"
    if len(name) <= max_length:
        return name
    stem, extension = name[:-4], name[-4:]
    stem = stem[: max_length - len(extension) - 1]
    # Never end on a lone combining mark or mid-word space: cut back to a whole character.
    while stem and (unicodedata.combining(stem[-1]) or stem[-1].isspace()):
        stem = stem[:-1]
    return stem + "…" + extension


def list_documents(session: Session, meeting_id: int) -> list[Document]:
    query = select(Document).where(Document.meeting_id == meeting_id)
    return list(session.exec(query.order_by(col(Document.created_at), col(Document.id))))


def get_document(session: Session, *, actor: Actor, document_id: int, perm: Perm) -> Document:
    """A document the actor may see (or edit); NotFound for anyone outside its meeting."""
    document = session.get(Document, document_id)
    if document is None:
        raise NotFound("Không tìm thấy tài liệu.", code="document_not_found")
    try:
        meetings.load_meeting(session, actor=actor, meeting_id=document.meeting_id, perm=perm)
    except NotFound:
        raise NotFound("Không tìm thấy tài liệu.", code="document_not_found") from None
    return document


def add_document(
    session: Session,
    *,
    actor: Actor,
    meeting_id: int,
    blob: ReceivedBlob,
    filename: str,
    title: str = "",
    agenda_item_id: int | None = None,
) -> Document:
    """Record an uploaded PDF as processing; the documents.inspect job, enqueued here in the
    same transaction, checks it and makes it ready or rejected. The caller moves the blob
    into place."""
    meeting = meetings.load_meeting(
        session, actor=actor, meeting_id=meeting_id, perm=Perm.EDIT_MEETING
    )
    meetings.require_editable(meeting)
    count = session.exec(
        select(func.count()).select_from(Document).where(Document.meeting_id == meeting_id)
    ).one()
    if count >= MAX_DOCUMENTS_PER_MEETING:
        raise Conflict("Cuộc họp đã đủ số tài liệu tối đa.", code="documents_full")
    if agenda_item_id is not None:
        item = session.get(AgendaItem, agenda_item_id)
        if item is None or item.meeting_id != meeting_id:
            raise Invalid("Nội dung không thuộc cuộc họp này.", field="agenda_item_id")
    filename = clean_filename(filename)
    document = Document(
        meeting_id=meeting_id,
        agenda_item_id=agenda_item_id,
        title=unicodedata.normalize("NFC", title).strip()[:300] or filename.removesuffix(".pdf"),
        filename=filename,
        size=blob.size,
        sha256=blob.sha256,
        status=DocumentStatus.PROCESSING,
        uploaded_by_id=actor.user_id,
    )
    session.add(document)
    session.flush()
    assert document.id is not None
    jobs.enqueue(
        session,
        INSPECT_JOB,
        {"document_id": document.id},
        key=f"{INSPECT_JOB}:{document.id}",
        max_attempts=3,
    )
    # No push yet: tablets see a document once it is ready (record_inspection).
    return document


def record_inspection(
    session: Session,
    *,
    document_id: int,
    info: PdfInfo | None = None,
    rejection: Invalid | None = None,
) -> Document | None:
    """The outcome of the documents.inspect job. Idempotent: a document that is no longer
    processing (inspected by an earlier run, or deleted) is left as it is."""
    document = session.get(Document, document_id)
    if document is None or document.status != DocumentStatus.PROCESSING:
        return None
    if info is not None:
        document.status = DocumentStatus.READY
        document.page_count = info.page_count
        document.has_thumbnail = info.thumbnail
        session.add(document)
        meetings.touch(session, document.meeting_id)  # tablets get it now
    else:
        assert rejection is not None
        document.status = DocumentStatus.REJECTED
        document.rejection_code = rejection.code[:40]
        document.rejection_message = rejection.message[:300]
        session.add(document)
    return document


def delete_document(session: Session, *, actor: Actor, document_id: int) -> str:
    """Delete the row; returns its sha256 so the caller can drop an unreferenced blob."""
    document = get_document(session, actor=actor, document_id=document_id, perm=Perm.EDIT_MEETING)
    meetings.require_editable(meetings.get_meeting(session, document.meeting_id))
    sha256, meeting_id = document.sha256, document.meeting_id
    session.delete(document)
    meetings.touch(session, meeting_id)
    return sha256


def is_referenced(session: Session, sha256: str) -> bool:
    return session.exec(select(Document.id).where(Document.sha256 == sha256)).first() is not None
