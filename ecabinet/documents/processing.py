"""The documents.inspect job: check an uploaded PDF and render its thumbnail, off the request.

Runs in a job runner (in `ecabinet serve` or `ecabinet worker`); the PDF is read by a bounded
child process (documents/pdf.py), so neither a hostile file nor pdfium ever runs on a hub.
Idempotent: a second run (after a crash, or a lease that ran out) finds the document no
longer processing and changes nothing.
"""

from __future__ import annotations

import logging

from ecabinet.db import Database
from ecabinet.documents import service
from ecabinet.documents.models import DocumentStatus
from ecabinet.documents.pdf import PdfInfo, PdfLimits, inspect_pdf
from ecabinet.documents.storage import Storage
from ecabinet.errors import Invalid
from ecabinet.jobs.runner import JobRunner
from ecabinet.jobs.service import ClaimedJob

log = logging.getLogger(__name__)


def inspect_document(
    database: Database,
    storage: Storage,
    *,
    document_id: int,
    revision_id: int | None = None,
    limits: PdfLimits,
) -> str | None:
    """Check one processing revision (default: the document's current one); returns its new
    status (None: nothing to do)."""
    payload: dict[str, object] = {"document_id": document_id}
    if revision_id is not None:
        payload["revision_id"] = revision_id
    with database.unit_of_work(write=False) as session:
        revision = service.revision_to_inspect(session, payload)
        if revision is None or revision.status != DocumentStatus.PROCESSING:
            return None
        assert revision.id is not None
        found_id, sha256 = revision.id, revision.sha256
    path = storage.path_for(sha256)
    head = b""
    if path.is_file():
        with path.open("rb") as handle:
            head = handle.read(1024)
    rendered = storage.work_path(".png")
    info: PdfInfo | None = None
    rejection: Invalid | None = None
    try:
        try:
            info = inspect_pdf(path, head, limits, thumbnail_to=rendered)
        except Invalid as refused:
            rejection = refused
        if info is not None and info.thumbnail and rendered.is_file():
            storage.keep_thumbnail(sha256, rendered)
        with database.unit_of_work() as session:
            updated = service.record_inspection(
                session, revision_id=found_id, info=info, rejection=rejection
            )
            status = updated.status if updated is not None else None
    finally:
        rendered.unlink(missing_ok=True)
    if rejection is not None:
        log.info("document %s revision %s rejected: %s", document_id, found_id, rejection.code)
    return status


def register(runner: JobRunner, database: Database, storage: Storage, limits: PdfLimits) -> None:
    """Give the runner the documents.inspect job kind."""

    def run(job: ClaimedJob) -> None:
        revision_id = job.payload.get("revision_id")
        inspect_document(
            database,
            storage,
            document_id=int(job.payload["document_id"]),
            revision_id=None if revision_id is None else int(revision_id),
            limits=limits,
        )

    runner.register(service.INSPECT_JOB, run)
