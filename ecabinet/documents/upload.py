"""The upload use case: receive → validate → record → move into place, all or nothing."""

from __future__ import annotations

import logging
from typing import IO

from ecabinet.actor import Actor
from ecabinet.db import Database
from ecabinet.documents import service
from ecabinet.documents.pdf import PdfLimits, inspect_pdf
from ecabinet.documents.schemas import DocumentPublic
from ecabinet.documents.storage import Storage

log = logging.getLogger(__name__)


def upload_document(
    database: Database,
    storage: Storage,
    *,
    actor: Actor,
    meeting_id: int,
    stream: IO[bytes],
    filename: str,
    title: str = "",
    agenda_item_id: int | None = None,
    max_bytes: int,
    pdf_limits: PdfLimits | None = None,
) -> DocumentPublic:
    """Store one PDF. On any failure no row and no new file remain."""
    # Hash and parse outside the transaction: the writer lock is held only for the insert.
    blob = storage.receive(stream, max_bytes=max_bytes)
    created = False
    try:
        info = inspect_pdf(blob.temp_path, blob.head, pdf_limits)
        with database.unit_of_work() as session:
            document = service.add_document(
                session,
                actor=actor,
                meeting_id=meeting_id,
                blob=blob,
                info=info,
                filename=filename,
                title=title,
                agenda_item_id=agenda_item_id,
            )
            session.flush()
            created = storage.promote(blob)
            result = DocumentPublic.model_validate(document)
    except BaseException:
        storage.discard(blob)
        if created:
            with database.unit_of_work(write=False) as session:
                if not service.is_referenced(session, blob.sha256):
                    storage.delete(blob.sha256)
        raise
    return result


def delete_document(
    database: Database, storage: Storage, *, actor: Actor, document_id: int
) -> None:
    """Delete a document and, once no row points at it, its blob."""
    with database.unit_of_work() as session:
        sha256 = service.delete_document(session, actor=actor, document_id=document_id)
    drop_unreferenced(database, storage, [sha256])


def drop_unreferenced(database: Database, storage: Storage, hashes: list[str]) -> None:
    """Delete the blobs no document row points at any more (after the rows' commit)."""
    with database.unit_of_work(write=False) as session:
        orphans = [sha for sha in set(hashes) if not service.is_referenced(session, sha)]
    for sha in orphans:
        storage.delete(sha)
