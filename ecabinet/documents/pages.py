"""Page images of a PDF rendered on the server: the viewer of tablets too old for pdf.js.

The documents.render_pages job renders every page of one PDF (a document's file, its Word /
Excel conversion, or a delegate's stamped copy of either) to an image whose long edge is
LONG_EDGE pixels, in bounded child processes a few pages at a time (documents/page_render.py),
never on a hub. Images are kept by the PDF's sha256 and the page number and sealed like every
stored file: a new revision, or another delegate's copy, has other bytes and so other images,
and an image once named never changes (its URL may be cached for good).

Where: a blob's pages under pages/<sha[:2]>/<sha>/ (deleted with the blob, Storage.delete); a
stamped copy's under stamped/<document id>/pages/<sha>/ (deleted with the document's copies).
Each page is written whole, then renamed; the manifest (pages.json: format and pixel sizes) is
written last and nothing is served before it exists, so a render cut short by a crash shows
nothing, and the job, run again, renders again.

Once per PDF: the job's key is the sha256, so viewers asking at once enqueue one job. A job
done whose images were deleted since (the blob deleted, then the same file uploaded again) is
queued again; one that failed (a PDF pdfium cannot render within the bounds) stays failed and
viewers are told so, until an administrator retries it (/admin/jobs).
"""

from __future__ import annotations

import json
import logging
import shutil
import subprocess
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlmodel import Session

from ecabinet import failpoints, sealing
from ecabinet.db import Database
from ecabinet.documents import watermark
from ecabinet.documents.pdf import PdfLimits
from ecabinet.documents.storage import Storage
from ecabinet.jobs import service as jobs
from ecabinet.jobs.models import JobState
from ecabinet.jobs.runner import JobRunner
from ecabinet.jobs.service import ClaimedJob, JobFailed

log = logging.getLogger(__name__)

RENDER_JOB = "documents.render_pages"
LONG_EDGE = 1600  # pixels: sharp on a 10-inch tablet, about 90 KB for a page of text
BATCH_PAGES = 10  # pages per child process, each child bounded by PdfLimits.seconds
MANIFEST = "pages.json"
MIMETYPES = {"webp": "image/webp", "jpeg": "image/jpeg"}


class RenderRefused(Exception):
    """pdfium could not render the PDF within the bounds (broken, hostile, too big)."""

    def __init__(self, code: str, detail: str = "") -> None:
        super().__init__(f"{code}: {detail}" if detail else code)
        self.code = code


@dataclass(frozen=True)
class PageSource:
    """One PDF whose pages are rendered: a stored blob, or a delegate's stamped copy (which
    lives with its document's copies)."""

    sha256: str
    document_id: int
    stamped: bool = False

    def payload(self) -> dict[str, Any]:
        return {"sha256": self.sha256, "document_id": self.document_id, "stamped": self.stamped}

    @classmethod
    def from_payload(cls, payload: Mapping[str, Any]) -> PageSource:
        return cls(str(payload["sha256"]), int(payload["document_id"]), bool(payload["stamped"]))


@dataclass(frozen=True)
class PageSet:
    """A PDF's rendered pages: their format and pixel sizes, page 1 first."""

    sha256: str
    format: str
    sizes: tuple[tuple[int, int], ...]

    @property
    def page_count(self) -> int:
        return len(self.sizes)

    @property
    def mimetype(self) -> str:
        return MIMETYPES[self.format]

    def dump(self) -> bytes:
        return json.dumps(
            {"sha256": self.sha256, "format": self.format, "sizes": self.sizes}
        ).encode()


def source_path(storage: Storage, source: PageSource) -> Path:
    if source.stamped:
        return watermark.copy_path(storage, source.document_id, source.sha256)
    return storage.path_for(source.sha256)


def pages_dir(storage: Storage, source: PageSource) -> Path:
    if source.stamped:
        storage.path_for(source.sha256)  # validates the name
        return watermark.copy_dir(storage, source.document_id) / "pages" / source.sha256
    return storage.pages_dir(source.sha256)


def page_path(storage: Storage, source: PageSource, pages: PageSet, number: int) -> Path:
    return pages_dir(storage, source) / f"{number}.{pages.format}"


def rendered(storage: Storage, source: PageSource) -> PageSet | None:
    """The PDF's pages if they are all in place (their manifest is written last), else None."""
    manifest = pages_dir(storage, source) / MANIFEST
    if not manifest.is_file():
        return None
    try:
        data = json.loads(sealing.read_plain(manifest, storage.ring))
        found = PageSet(
            str(data["sha256"]),
            str(data["format"]),
            tuple((int(w), int(h)) for w, h in data["sizes"]),
        )
    except (sealing.SealBroken, ValueError, KeyError, TypeError) as damaged:
        log.error("page manifest %s is damaged (%s): rendering again", manifest, damaged)
        return None
    if found.sha256 != source.sha256 or found.format not in MIMETYPES:
        return None
    return found


def ensure_render(database: Database, source: PageSource) -> bool:
    """request_render, after a look that writes nothing: the viewers polling while the pages
    are rendered (every second, each) take no write lock."""
    with database.unit_of_work(write=False) as session:
        job = jobs.find_job(session, key=_key(source))
        state = None if job is None else job.state
    if state in (JobState.QUEUED, JobState.RUNNING):
        return True
    if state in (JobState.FAILED, JobState.CANCELLED):
        return False
    with database.unit_of_work() as session:
        return request_render(session, source)


def request_render(session: Session, source: PageSource) -> bool:
    """Enqueue the render of `source`, whose pages the caller found missing, in the caller's
    transaction: once per PDF however many ask. False if its render failed for good (it is
    not tried again unless an administrator retries the job)."""
    key = _key(source)
    if jobs.enqueue(session, RENDER_JOB, source.payload(), key=key, max_attempts=3) is not None:
        return True
    job = jobs.find_job(session, key=key)
    assert job is not None, "the key was taken"
    if job.state in (JobState.FAILED, JobState.CANCELLED):
        return False
    if job.state == JobState.DONE:  # its pages went with their blob, which came back since
        jobs.run_again(session, job, source.payload())
    return True


def _key(source: PageSource) -> str:
    return f"{RENDER_JOB}:{source.sha256}"


def render_pages(
    storage: Storage,
    source: PageSource,
    *,
    limits: PdfLimits,
    heartbeat: Callable[[], object] | None = None,
    batch: int | None = None,
) -> PageSet | None:
    """Render and keep every page of `source`; pages already rendered are returned as they
    are. None when the PDF is gone (deleted meanwhile: nothing to render, nothing kept).
    Raises RenderRefused when it cannot be rendered within `limits`."""
    done = rendered(storage, source)
    if done is not None:
        return done
    path = source_path(storage, source)
    if not path.is_file():
        return None
    batch = batch or BATCH_PAGES
    target = pages_dir(storage, source)
    prefix = storage.work_path("-page-")  # the child writes <prefix><n>; swept at start-up
    sizes: list[tuple[int, int]] = []
    try:
        # The child reads a path: a sealed PDF is decrypted to a scratch copy for it.
        with sealing.plain_path(path, storage.ring, storage.work_path(".pdf")) as plain:
            first, count, fmt = 1, 1, ""
            while first <= count:
                verdict = _render_batch(plain, prefix, first, first + batch - 1, limits)
                count, fmt = int(verdict["count"]), str(verdict["format"])
                numbers = [int(page["number"]) for page in verdict["pages"]]
                if numbers != list(range(first, min(first + batch - 1, count) + 1)):
                    raise RenderRefused("crashed", f"pages {numbers} for {first}..{count}")
                for page in verdict["pages"]:
                    number = int(page["number"])
                    storage.place(Path(f"{prefix}{number}"), target / f"{number}.{fmt}")
                    sizes.append((int(page["width"]), int(page["height"])))
                    failpoints.reach("pages.stored")
                first += batch
                if heartbeat is not None:
                    heartbeat()  # a thousand pages outlast one lease
        result = PageSet(source.sha256, fmt, tuple(sizes))
        storage.write(target / MANIFEST, result.dump())
    finally:
        for leftover in storage.tmp.glob(f"{prefix.name}*"):
            leftover.unlink(missing_ok=True)
    if not path.is_file():
        # Deleted while we rendered: its clean-up may have run before our last write
        # (Storage.delete removes the blob first, then its pages).
        shutil.rmtree(target, ignore_errors=True)
        return None
    return result


def _render_batch(
    plain: Path, prefix: Path, first: int, last: int, limits: PdfLimits
) -> dict[str, Any]:
    """Pages first..last in a child process (documents/page_render.py); its verdict.

    A process, not a thread: only a process can be killed when a page makes pdfium loop or
    allocate. Under eventlet and gevent the subprocess module is patched: waiting yields."""
    command = [
        sys.executable,
        "-m",
        "ecabinet.documents.page_render",
        str(plain),
        str(prefix),
        str(first),
        str(last),
        str(LONG_EDGE),
        str(limits.max_pages),
        str(max(1, int(limits.seconds))),
        str(limits.memory_mb),
    ]
    try:
        done = subprocess.run(  # noqa: S603  (our own module, our own arguments)
            command, capture_output=True, timeout=limits.seconds, check=False
        )
    except subprocess.TimeoutExpired:
        took = f"pages {first}-{last} took over {limits.seconds} s"
        raise RenderRefused("timeout", took) from None
    try:
        verdict = json.loads(done.stdout or b"null")
    except ValueError:
        verdict = None
    if not isinstance(verdict, dict):
        # Killed by a resource limit (SIGXCPU, out of address space) or a crash.
        stderr = done.stderr[-300:].decode(errors="replace")
        raise RenderRefused("crashed", f"exit {done.returncode}: {stderr}")
    if not verdict.get("ok"):
        raise RenderRefused(str(verdict.get("code")), str(verdict.get("detail", "")))
    return verdict


def register(runner: JobRunner, storage: Storage, limits: PdfLimits) -> None:
    """Give the runner the documents.render_pages job kind."""

    def run(job: ClaimedJob) -> None:
        source = PageSource.from_payload(job.payload)
        try:
            render_pages(storage, source, limits=limits, heartbeat=lambda: runner.extend_lease(job))
        except RenderRefused as refused:
            log.warning("pages of %s cannot be rendered: %s", source.sha256[:12], refused)
            raise JobFailed(str(refused)) from None  # the same bytes fail the same way

    runner.register(RENDER_JOB, run)
