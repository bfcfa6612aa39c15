"""The documents.inspect job: check an uploaded PDF and render its thumbnail, off the request.

Runs in a job runner (in `ecabinet serve` or `ecabinet worker`); the PDF is read by a bounded
child process (documents/pdf.py), so neither a hostile file nor pdfium ever runs on a hub.
Idempotent: a second run (after a crash, or a lease that ran out) finds the document no
longer processing and changes nothing.
"""

from __future__ import annotations

import logging
from pathlib import Path

from ecabinet import failpoints
from ecabinet.db import Database
from ecabinet.documents import office, service
from ecabinet.documents.models import DocumentStatus
from ecabinet.documents.office import OfficeSettings
from ecabinet.documents.pdf import PdfInfo, PdfLimits, inspect_pdf
from ecabinet.documents.storage import ReceivedBlob, Storage
from ecabinet.documents.upload import drop_unreferenced
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
    office_settings: OfficeSettings | None = None,
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
        found_id, sha256, content_type = revision.id, revision.sha256, revision.content_type
    rendered = storage.work_path(".png")
    converted = storage.work_path(".pdf")
    info: PdfInfo | None = None
    rejection: Invalid | None = None
    pdf: ReceivedBlob | None = None
    intent: Path | None = None
    placed = False
    try:
        try:
            # The checker and LibreOffice run in child processes that read a path: a sealed
            # blob is decrypted to a scratch copy for them, removed when they are done.
            with storage.plain_path(sha256) as path:
                if content_type == office.PDF:
                    info = inspect_pdf(path, _head(path), limits, thumbnail_to=rendered)
                else:
                    office.check_office(path, content_type)
                    info, pdf = _convert(
                        storage, path, content_type, office_settings, converted, limits, rendered
                    )
        except Invalid as refused:
            rejection = refused
        if info is not None and info.thumbnail and rendered.is_file():
            storage.keep_thumbnail(sha256, rendered)
        if pdf is not None:
            # The conversion is a blob of its own: in place before the commit that points at
            # it, with an intent so a crash in between leaves no orphan (upload.py).
            intent = storage.intend(pdf.sha256)
            placed = storage.promote(pdf)
            failpoints.reach("inspect.promoted")
        with database.unit_of_work() as session:
            updated = service.record_inspection(
                session,
                revision_id=found_id,
                info=info,
                rejection=rejection,
                pdf_sha256=pdf.sha256 if pdf is not None else "",
            )
            status = updated.status if updated is not None else None
        if updated is None:
            # Deleted meanwhile, or checked by another run first (a lease ran out): nothing
            # points at what this run stored, so it goes (the original too, if unreferenced,
            # which takes the thumbnail written above with it).
            stored = [sha256, *([pdf.sha256] if placed and pdf is not None else [])]
            drop_unreferenced(database, storage, stored, [intent] if intent else [])
    except BaseException:
        if placed and pdf is not None:
            drop_unreferenced(database, storage, [pdf.sha256], [intent] if intent else [])
        raise
    finally:
        rendered.unlink(missing_ok=True)
        converted.unlink(missing_ok=True)
        if pdf is not None:
            storage.discard(pdf)
        if intent is not None:
            storage.settle(intent)
    if rejection is not None:
        log.info("document %s revision %s rejected: %s", document_id, found_id, rejection.code)
    return status


def _head(path: Path) -> bytes:
    if not path.is_file():
        return b""
    with path.open("rb") as handle:
        return handle.read(1024)


def _convert(
    storage: Storage,
    path: Path,
    content_type: str,
    settings: OfficeSettings | None,
    converted: Path,
    limits: PdfLimits,
    rendered: Path,
) -> tuple[PdfInfo, ReceivedBlob | None]:
    """An office file's PDF for tablets, when a converter is configured and its output passes
    the same check as an uploaded PDF; otherwise the file is ready to download as it is."""
    if settings is None or not office.convert_to_pdf(path, content_type, settings, converted):
        return PdfInfo(page_count=0), None
    try:
        info = inspect_pdf(converted, _head(converted), limits, thumbnail_to=rendered)
    except Invalid as refused:
        log.warning("the PDF converted from %s was refused: %s", path.name, refused.code)
        return PdfInfo(page_count=0), None
    with converted.open("rb") as stream:
        blob = storage.receive(stream, max_bytes=converted.stat().st_size + 1)
    return info, blob


def register(
    runner: JobRunner,
    database: Database,
    storage: Storage,
    limits: PdfLimits,
    office_settings: OfficeSettings | None = None,
) -> None:
    """Give the runner the documents.inspect job kind."""

    def run(job: ClaimedJob) -> None:
        revision_id = job.payload.get("revision_id")
        inspect_document(
            database,
            storage,
            document_id=int(job.payload["document_id"]),
            revision_id=None if revision_id is None else int(revision_id),
            limits=limits,
            office_settings=office_settings,
        )

    runner.register(service.INSPECT_JOB, run)
