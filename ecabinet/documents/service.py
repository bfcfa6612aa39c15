"""Documents of a meeting: rows that point at blobs in Storage."""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from pathlib import PurePosixPath, PureWindowsPath

from sqlalchemy import or_
from sqlmodel import Session, col, delete, func, select

from ecabinet.actor import Actor
from ecabinet.agenda.models import AgendaItem
from ecabinet.attendees.models import Attendee
from ecabinet.documents import office
from ecabinet.documents.models import (
    Audience,
    Document,
    DocumentAudience,
    DocumentRevision,
    DocumentStatus,
)
from ecabinet.documents.pdf import PdfInfo
from ecabinet.documents.schemas import DocumentUpdate
from ecabinet.documents.storage import ReceivedBlob
from ecabinet.errors import Conflict, Invalid, NotFound
from ecabinet.events import audit
from ecabinet.jobs import service as jobs
from ecabinet.meetings import service as meetings
from ecabinet.meetings.models import Confidentiality
from ecabinet.permissions import Perm
from ecabinet.text import MAX_ID

DEFAULT_MAX_DOCUMENTS = 300  # config MAX_DOCUMENTS_PER_MEETING
INSPECT_JOB = "documents.inspect"
MAX_FILENAME = 255  # the column's length


def clean_filename(raw: str, *, extension: str = ".pdf", max_length: int = MAX_FILENAME) -> str:
    """Keep only the last path part, NFC, no control characters; always ends in `extension`
    (the stored type's). A long name keeps its beginning (where people put what it is) and
    its extension."""
    name = unicodedata.normalize("NFC", raw or "")
    name = PureWindowsPath(PurePosixPath(name).name).name
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C").strip(" .")
    if not name:
        name = "tai-lieu" + extension
    if not name.lower().endswith(extension):
        name += extension
    if len(name) <= max_length:
        return name
    stem, suffix = name[: -len(extension)], name[-len(extension) :]
    stem = stem[: max_length - len(suffix) - 1]
    # Never end on a lone combining mark or mid-word space: cut back to a whole character.
    while stem and (unicodedata.combining(stem[-1]) or stem[-1].isspace()):
        stem = stem[:-1]
    return stem + "…" + suffix


def list_documents(session: Session, meeting_id: int) -> list[Document]:
    query = select(Document).where(Document.meeting_id == meeting_id)
    return list(session.exec(query.order_by(col(Document.created_at), col(Document.id))))


def get_document(session: Session, *, actor: Actor, document_id: int, perm: Perm) -> Document:
    """A document the actor may see (or edit); NotFound for anyone outside its meeting, and
    for an attendee it is not (yet) for. Every path to a document's bytes or metadata (file,
    thumbnail, API) comes through here."""
    document = session.get(Document, document_id)
    if document is None:
        raise NotFound("Không tìm thấy tài liệu.", code="document_not_found")
    try:
        meetings.load_meeting(session, actor=actor, meeting_id=document.meeting_id, perm=perm)
    except NotFound:
        raise NotFound("Không tìm thấy tài liệu.", code="document_not_found") from None
    if actor.is_attendee and not may_see(actor, document, audience_of(session, document)):
        raise NotFound("Không tìm thấy tài liệu.", code="document_not_found")
    return document


def may_see(actor: Actor, document: Document, audience: frozenset[int]) -> bool:
    """The one rule for which documents a viewer of the meeting gets: staff of the meeting
    see every document; an attendee, ready documents for everyone or for them."""
    if actor.is_staff:
        return True
    if document.status != DocumentStatus.READY:
        return False
    return document.audience == Audience.ALL or actor.attendee_id in audience


def audience_of(session: Session, document: Document) -> frozenset[int]:
    if document.audience != Audience.CHOSEN:
        return frozenset()
    rows = session.exec(
        select(DocumentAudience.attendee_id).where(DocumentAudience.document_id == document.id)
    )
    return frozenset(rows)


def audiences(session: Session, meeting_id: int) -> dict[int, frozenset[int]]:
    """Document id → the attendees chosen for it, for a meeting's documents (one query)."""
    rows = session.exec(
        select(DocumentAudience.document_id, DocumentAudience.attendee_id)
        .join(Document, col(Document.id) == DocumentAudience.document_id)
        .where(Document.meeting_id == meeting_id)
    )
    found: dict[int, set[int]] = {}
    for document_id, attendee_id in rows:
        found.setdefault(document_id, set()).add(attendee_id)
    return {document_id: frozenset(ids) for document_id, ids in found.items()}


def _chosen_attendees(
    session: Session, meeting_id: int, audience: Audience, attendee_ids: Sequence[int]
) -> frozenset[int]:
    """The attendees a "chosen" audience names, all of them of this meeting."""
    if audience != Audience.CHOSEN:
        return frozenset()
    chosen = frozenset(attendee_ids)
    if not chosen:
        raise Invalid("Chọn ít nhất một đại biểu.", code="audience_empty", field="attendee_ids")
    if any(not 1 <= n <= MAX_ID for n in chosen):  # never a number the id column cannot hold
        raise Invalid(
            "Có đại biểu không thuộc cuộc họp này.", code="attendee_not_found", field="attendee_ids"
        )
    found = set(
        session.exec(
            select(Attendee.id).where(
                col(Attendee.id).in_(chosen), Attendee.meeting_id == meeting_id
            )
        )
    )
    if found != chosen:
        raise Invalid(
            "Có đại biểu không thuộc cuộc họp này.", code="attendee_not_found", field="attendee_ids"
        )
    return chosen


def visible_documents(session: Session, *, actor: Actor, meeting_id: int) -> list[Document]:
    """The meeting's documents `actor` may see (the caller has checked meeting access)."""
    documents = list_documents(session, meeting_id)
    if actor.is_staff:
        return documents
    chosen = audiences(session, meeting_id)
    return [d for d in documents if may_see(actor, d, chosen.get(d.id or 0, frozenset()))]


def set_audience(
    session: Session,
    *,
    actor: Actor,
    document_id: int,
    audience: Audience,
    attendee_ids: list[int],
    deciding_for: frozenset[int] | None = None,
) -> frozenset[int]:
    """Give a document to every attendee, or to the chosen ones only; tablets follow at once.
    With `deciding_for` (the attendees a form showed: one page or one search of a long
    list), `attendee_ids` decides only for those, and everyone chosen outside it stays.
    (a document taken from someone disappears from their next push)."""
    document = get_document(session, actor=actor, document_id=document_id, perm=Perm.EDIT_MEETING)
    meetings.require_editable(meetings.get_meeting(session, document.meeting_id))
    if deciding_for is not None:
        kept = audience_of(session, document) - deciding_for
        attendee_ids = sorted(kept | set(attendee_ids))
    chosen = _chosen_attendees(session, document.meeting_id, audience, attendee_ids)
    session.execute(
        delete(DocumentAudience).where(col(DocumentAudience.document_id) == document_id)
    )
    for attendee_id in sorted(chosen):
        session.add(DocumentAudience(document_id=document_id, attendee_id=attendee_id))
    audit(
        session,
        actor,
        meeting_id=document.meeting_id,
        action="document.audience",
        subject=document.title,
        changes={"audience": (document.audience, audience)},
    )
    document.audience = audience
    session.add(document)
    meetings.touch(session, document.meeting_id)
    return chosen


def add_document(
    session: Session,
    *,
    actor: Actor,
    meeting_id: int,
    blob: ReceivedBlob,
    filename: str,
    title: str = "",
    agenda_item_id: int | None = None,
    audience: Audience = Audience.ALL,
    attendee_ids: Sequence[int] = (),
    confidentiality: Confidentiality = Confidentiality.NORMAL,
    content_type: str = office.PDF,
    max_documents: int = DEFAULT_MAX_DOCUMENTS,
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
    if count >= max_documents:
        raise Conflict(
            f"Cuộc họp đã có {count} tài liệu, mức tối đa của một cuộc họp. Hãy xóa bớt tài "
            "liệu không dùng, hoặc nhờ quản trị tăng MAX_DOCUMENTS_PER_MEETING.",
            code="documents_full",
        )
    if agenda_item_id is not None:
        item = session.get(AgendaItem, agenda_item_id)
        if item is None or item.meeting_id != meeting_id:
            raise Invalid("Nội dung không thuộc cuộc họp này.", field="agenda_item_id")
    extension = office.EXTENSIONS[content_type]
    filename = clean_filename(filename, extension=extension)
    document = Document(
        meeting_id=meeting_id,
        agenda_item_id=agenda_item_id,
        title=unicodedata.normalize("NFC", title).strip()[:300] or filename.removesuffix(extension),
        filename=filename,
        content_type=content_type,
        size=blob.size,
        sha256=blob.sha256,
        status=DocumentStatus.PROCESSING,
        audience=audience,
        confidentiality=confidentiality,
        uploaded_by_id=actor.user_id,
    )
    session.add(document)
    session.flush()
    assert document.id is not None
    first = first_revision(document)
    session.add(first)
    session.flush()
    # Chosen before it is ever ready: no push can carry it to anyone else first.
    for attendee_id in _chosen_attendees(session, meeting_id, audience, attendee_ids):
        session.add(DocumentAudience(document_id=document.id, attendee_id=attendee_id))
    enqueue_inspection(session, first)
    audit(session, actor, meeting_id=meeting_id, action="document.add", subject=document.title)
    # No push yet: tablets see a document once it is ready (record_inspection).
    return document


FILE_FIELDS = (
    "filename",
    "content_type",
    "size",
    "sha256",
    "page_count",
    "status",
    "rejection_code",
    "rejection_message",
    "has_thumbnail",
    "pdf_sha256",
    "uploaded_by_id",
)


def first_revision(document: Document) -> DocumentRevision:
    """Revision 1 of a new document: a copy of its file fields."""
    assert document.id is not None
    return DocumentRevision(
        document_id=document.id,
        number=1,
        created_at=document.created_at,
        **{name: getattr(document, name) for name in FILE_FIELDS},
    )


def enqueue_inspection(session: Session, revision: DocumentRevision) -> None:
    """The documents.inspect job for one revision, in the caller's transaction."""
    assert revision.id is not None
    jobs.enqueue(
        session,
        INSPECT_JOB,
        {"document_id": revision.document_id, "revision_id": revision.id},
        key=f"{INSPECT_JOB}:r{revision.id}",
        max_attempts=3,
    )


def revision_to_inspect(session: Session, payload: dict[str, object]) -> DocumentRevision | None:
    """The revision a documents.inspect job names (jobs queued before revisions existed name
    only the document: its current revision)."""
    if "revision_id" in payload:
        return session.get(DocumentRevision, int(str(payload["revision_id"])))
    document = session.get(Document, int(str(payload["document_id"])))
    if document is None:
        return None
    return session.exec(
        select(DocumentRevision).where(
            DocumentRevision.document_id == document.id,
            DocumentRevision.number == document.revision,
        )
    ).first()


def update_document(
    session: Session, *, actor: Actor, document_id: int, data: DocumentUpdate
) -> Document:
    """Rename a document, attach it to another agenda item or change its level; tablets
    follow at once."""
    document = get_document(session, actor=actor, document_id=document_id, perm=Perm.EDIT_MEETING)
    meetings.require_editable(meetings.get_meeting(session, document.meeting_id))
    changes = data.model_dump(exclude_unset=True)
    if "title" in changes and changes["title"] is None:
        raise Invalid("Tên tài liệu không được để trống.", field="title")
    if "confidentiality" in changes and changes["confidentiality"] is None:
        raise Invalid("Hãy chọn độ mật: Thường, Mật hoặc Tối mật.", field="confidentiality")
    item_id = changes.get("agenda_item_id")
    if item_id is not None:
        item = session.get(AgendaItem, item_id)
        if item is None or item.meeting_id != document.meeting_id:
            raise Invalid("Nội dung không thuộc cuộc họp này.", field="agenda_item_id")
    before = {name: getattr(document, name) for name in changes}
    for name, value in changes.items():
        setattr(document, name, value)
    session.add(document)
    audit(
        session,
        actor,
        meeting_id=document.meeting_id,
        action="document.update",
        subject=document.title,
        changes={name: (before[name], getattr(document, name)) for name in changes},
    )
    meetings.touch(session, document.meeting_id)
    return document


def record_inspection(
    session: Session,
    *,
    revision_id: int,
    info: PdfInfo | None = None,
    rejection: Invalid | None = None,
    pdf_sha256: str = "",
) -> DocumentRevision | None:
    """The outcome of the documents.inspect job for one revision. A document's first revision
    makes the document ready or rejected; a later one that passes becomes current (the one it
    replaces is kept, superseded) and tablets get it at once; a later one refused leaves the
    document as it was. Idempotent: a revision no longer processing is left as it is."""
    revision = session.get(DocumentRevision, revision_id)
    if revision is None or revision.status != DocumentStatus.PROCESSING:
        return None
    document = session.get(Document, revision.document_id)
    assert document is not None  # the revision cascades away with its document
    if info is not None:
        revision.status = DocumentStatus.READY
        revision.page_count = info.page_count
        revision.has_thumbnail = info.thumbnail
        revision.pdf_sha256 = pdf_sha256
    else:
        assert rejection is not None
        revision.status = DocumentStatus.REJECTED
        revision.rejection_code = rejection.code[:40]
        revision.rejection_message = rejection.message[:300]
    session.add(revision)
    if revision.number == document.revision:  # the first upload: the document is its revision
        _make_current(session, document, revision)
    elif revision.status == DocumentStatus.READY:
        if revision.number > document.revision:
            current = _revision(session, document.id, document.revision)
            if current is not None and current.status == DocumentStatus.READY:
                current.status = DocumentStatus.SUPERSEDED
                session.add(current)
            _make_current(session, document, revision)
        else:  # a later upload was checked first and is already current
            revision.status = DocumentStatus.SUPERSEDED
    return revision


def _revision(session: Session, document_id: int | None, number: int) -> DocumentRevision | None:
    return session.exec(
        select(DocumentRevision).where(
            DocumentRevision.document_id == document_id, DocumentRevision.number == number
        )
    ).first()


def _make_current(session: Session, document: Document, revision: DocumentRevision) -> None:
    for name in FILE_FIELDS:
        setattr(document, name, getattr(revision, name))
    document.revision = revision.number
    session.add(document)
    if document.status == DocumentStatus.READY:
        meetings.touch(session, document.meeting_id)  # tablets get it now


def delete_document(session: Session, *, actor: Actor, document_id: int) -> list[str]:
    """Delete the document with its revisions; returns their sha256 so the caller can drop
    the blobs no row points at any more."""
    document = get_document(session, actor=actor, document_id=document_id, perm=Perm.EDIT_MEETING)
    meetings.require_editable(meetings.get_meeting(session, document.meeting_id))
    meeting_id = document.meeting_id
    own = [sha for sha in (document.sha256, document.pdf_sha256) if sha]
    hashes = [*own, *_revision_hashes(session, document.id)]
    audit(session, actor, meeting_id=meeting_id, action="document.delete", subject=document.title)
    session.delete(document)
    meetings.touch(session, meeting_id)
    return hashes


def _revision_hashes(session: Session, document_id: int | None) -> list[str]:
    rows = session.exec(
        select(DocumentRevision.sha256, DocumentRevision.pdf_sha256).where(
            DocumentRevision.document_id == document_id
        )
    )
    return [sha for pair in rows for sha in pair if sha]


def hashes_of_meeting(session: Session, meeting_id: int) -> list[str]:
    """The blobs of every revision of a meeting's documents."""
    current = session.exec(
        select(Document.sha256, Document.pdf_sha256).where(Document.meeting_id == meeting_id)
    )
    revisions = session.exec(
        select(DocumentRevision.sha256, DocumentRevision.pdf_sha256)
        .join(Document, col(Document.id) == DocumentRevision.document_id)
        .where(Document.meeting_id == meeting_id)
    )
    return [sha for pair in [*current, *revisions] for sha in pair if sha]


def is_referenced(session: Session, sha256: str) -> bool:
    """Does any document or revision still point at this blob (as its file or as the PDF
    conversion of its file)?"""
    documents = select(Document.id).where(
        or_(col(Document.sha256) == sha256, col(Document.pdf_sha256) == sha256)
    )
    if session.exec(documents).first() is not None:
        return True
    revisions = select(DocumentRevision.id).where(
        or_(col(DocumentRevision.sha256) == sha256, col(DocumentRevision.pdf_sha256) == sha256)
    )
    return session.exec(revisions).first() is not None
