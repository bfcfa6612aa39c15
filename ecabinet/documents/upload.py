"""The upload use case: receive → validate → record → move into place, all or nothing; and
deleting rows with their blobs. Crash-safe through the storage's intents (storage.py)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import IO, TypeVar

from sqlalchemy.orm import Session as OrmSession
from sqlmodel import Session

from ecabinet import failpoints
from ecabinet.actor import Actor
from ecabinet.db import Database
from ecabinet.documents import office, revisions, service
from ecabinet.documents.models import Audience
from ecabinet.documents.schemas import DocumentPublic, RevisionPublic
from ecabinet.documents.storage import ReceivedBlob, Storage
from ecabinet.documents.watermark import drop_copies
from ecabinet.events import DomainEvent, OnRecord
from ecabinet.meetings.events import MeetingDeleting
from ecabinet.meetings.models import Confidentiality

log = logging.getLogger(__name__)
Stored = TypeVar("Stored")


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
    audience: Audience = Audience.ALL,
    attendee_ids: Sequence[int] = (),
    confidentiality: Confidentiality = Confidentiality.NORMAL,
    max_bytes: int,
    max_documents: int = service.DEFAULT_MAX_DOCUMENTS,
) -> DocumentPublic:
    """Store one PDF (or Word / Excel file) as processing, with its inspection job; on any
    failure, a crash included, no row and no new file remain. The deep check runs in that
    job, off the request (documents/processing.py); here only the cheap ones: size, empty,
    the file's first bytes (documents/office.kind_of)."""

    def record(session: Session, blob: ReceivedBlob, content_type: str) -> DocumentPublic:
        document = service.add_document(
            session,
            actor=actor,
            meeting_id=meeting_id,
            blob=blob,
            filename=filename,
            title=title,
            agenda_item_id=agenda_item_id,
            audience=audience,
            attendee_ids=attendee_ids,
            confidentiality=confidentiality,
            content_type=content_type,
            max_documents=max_documents,
        )
        session.flush()
        return DocumentPublic.model_validate(document)

    return _store(database, storage, stream, filename, max_bytes, record)


def upload_revision(
    database: Database,
    storage: Storage,
    *,
    actor: Actor,
    document_id: int,
    stream: IO[bytes],
    filename: str,
    max_bytes: int,
) -> RevisionPublic:
    """Store a new revision of a document, checked like a first upload; all or nothing."""

    def record(session: Session, blob: ReceivedBlob, content_type: str) -> RevisionPublic:
        revision = revisions.add_revision(
            session,
            actor=actor,
            document_id=document_id,
            blob=blob,
            filename=filename,
            content_type=content_type,
        )
        return RevisionPublic.model_validate(revision)

    return _store(database, storage, stream, filename, max_bytes, record)


def _store(
    database: Database,
    storage: Storage,
    stream: IO[bytes],
    filename: str,
    max_bytes: int,
    record: Callable[[Session, ReceivedBlob, str], Stored],
) -> Stored:
    """Receive a file, check its header, record it with `record` in one unit of work and move
    it into place before the commit. On any failure, a crash included, no row and no new
    file remain (the intent lets start-up finish the clean-up)."""
    blob = storage.receive(stream, max_bytes=max_bytes)
    failpoints.reach("upload.received")
    created = False
    intent: Path | None = None
    try:
        content_type = office.kind_of(blob.head, filename)  # a PDF, .docx or .xlsx
        intent = storage.intend(blob.sha256)
        failpoints.reach("upload.intended")
        with database.unit_of_work() as session:
            result = record(session, blob, content_type)
            # In place before the commit, so a committed row never lacks its file; the
            # intent covers a crash between here and the commit.
            created = storage.promote(blob)
            failpoints.reach("upload.promoted")
        failpoints.reach("upload.committed")
    except BaseException:
        storage.discard(blob)
        if created:
            drop_unreferenced(database, storage, [blob.sha256], [intent] if intent else [])
        raise
    finally:
        if intent is not None:
            storage.settle(intent)
    return result


def delete_document(
    database: Database, storage: Storage, *, actor: Actor, document_id: int
) -> None:
    """Delete a document and, once no row points at it, its blob."""
    delete_with_blobs(
        database,
        storage,
        lambda session: service.delete_document(session, actor=actor, document_id=document_id),
    )
    drop_copies(storage, document_id)  # its delegates' stamped copies


def delete_with_blobs(
    database: Database, storage: Storage, delete: Callable[[Session], list[str]]
) -> None:
    """Run `delete` (it returns the sha256 of the document rows it removed) in one unit of
    work, then delete the blobs no row points at any more. Intents written before the commit
    let start-up finish the job if the process dies in between."""
    intents: list[Path] = []
    try:
        with database.unit_of_work() as session:
            hashes = sorted(set(delete(session)))
            intents = [storage.intend(sha) for sha in hashes]
        failpoints.reach("delete.committed")
        drop_unreferenced(database, storage, hashes, intents)
    finally:
        for intent in intents:
            storage.settle(intent)


def drop_unreferenced(
    database: Database, storage: Storage, hashes: list[str], mine: list[Path]
) -> None:
    with database.unit_of_work(write=False) as session:
        orphans = [sha for sha in set(hashes) if not service.is_referenced(session, sha)]
    for sha in orphans:
        # An upload of the same bytes in progress holds its own intent: leave the file to it.
        if not storage.others_intend(sha, mine):
            storage.delete(sha)


def recover_interrupted(database: Database, storage: Storage) -> int:
    """At start-up: finish what a crash interrupted. Each intent left behind names a blob
    whose reference was changing; the blob stays only if a row points at it. Returns how
    many blobs were removed."""
    removed = 0
    pending = storage.pending_intents()
    if not pending:
        return 0
    with database.unit_of_work(write=False) as session:
        keep = {sha for sha, _ in pending if service.is_referenced(session, sha)}
    for sha, marker in pending:
        if sha not in keep:
            if storage.path_for(sha).exists():
                removed += 1
            storage.delete(sha)  # its page images too, even if the blob went before the crash
        storage.settle(marker)
    if removed:
        log.warning("removed %d file(s) left by an interrupted upload or deletion", removed)
    return removed


def release_blobs_of_deleted_meetings(database: Database, storage: Storage) -> OnRecord:
    """The documents feature's reaction to MeetingDeleting: before the rows cascade away,
    note their blobs with intents; after the commit, delete those no row points at."""

    def handle(session: OrmSession, happened: DomainEvent) -> Callable[[bool], None] | None:
        if not isinstance(happened, MeetingDeleting):
            return None
        hashes = sorted(set(service.hashes_of_meeting(session, happened.meeting_id)))  # type: ignore[arg-type]
        if not hashes:
            return None
        intents = [storage.intend(sha) for sha in hashes]

        def finish(committed: bool) -> None:
            try:
                if committed:
                    failpoints.reach("delete.committed")
                    drop_unreferenced(database, storage, hashes, intents)
            finally:
                for intent in intents:
                    storage.settle(intent)

        return finish

    return handle
