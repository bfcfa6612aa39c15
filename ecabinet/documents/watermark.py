"""A delegate's own copy of a Mật / Tối mật PDF: every page stamped with their name, the copy's
number ("Bản số N") and when it was issued, so a photo or a printout names its source.

The stamp is drawn once (reportlab) as a form XObject and each page gets two small content
streams around its own ("q" before, "Q, then the stamp" after), so no page's content is parsed
or rewritten: 30 pages in about 25 ms where pypdf's merge_page takes 60. The original file is
never touched (a digital signature on it stays valid); copies are made once per revision and
delegate, kept by the stamped file's SHA-256 under stamped/<document id>/, and served from
there with Range support like any file (its page images, documents.pages, beside it).
"""

from __future__ import annotations

import hashlib
import io
import shutil
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

from pypdf import PdfReader, PdfWriter
from pypdf.generic import (
    ArrayObject,
    DecodedStreamObject,
    DictionaryObject,
    FloatObject,
    IndirectObject,
    NameObject,
)
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, func, select, update

from ecabinet.db import Database
from ecabinet.documents.models import Document, StampedCopy
from ecabinet.documents.storage import Storage
from ecabinet.fonts import BOLD, REGULAR, register_fonts
from ecabinet.offload import off_hub
from ecabinet.text import nfc
from ecabinet.timeutil import utcnow

STAMP = NameObject("/ecabinetStamp")


@dataclass(frozen=True)
class StampText:
    holder: str  # the delegate's name
    copy_number: int
    issued: str  # "14:05 06/12/2026", local time
    level: str  # "MẬT" / "TỐI MẬT"

    @property
    def diagonal(self) -> str:
        return f"{self.holder} · Bản số {self.copy_number}"

    @property
    def footer(self) -> str:
        return (
            f"{self.level} · Bản số {self.copy_number} cấp cho {self.holder} lúc {self.issued}"
            " · Không sao chụp, không chuyển cho người khác"
        )


def _stamp_page(width: float, height: float, text: StampText) -> bytes:
    from reportlab.lib.utils import simpleSplit
    from reportlab.pdfgen.canvas import Canvas

    register_fonts()
    buffer = io.BytesIO()
    c = Canvas(buffer, pagesize=(width, height), pageCompression=1)
    size = max(14.0, min(width, height) / 16)
    c.saveState()
    c.setFillColorRGB(0.75, 0.1, 0.1, alpha=0.16)
    c.translate(width / 2, height / 2)
    c.rotate(35)
    c.setFont(BOLD, size)
    c.drawCentredString(0, 0, nfc(text.diagonal))
    c.restoreState()
    c.setFillColorRGB(0.65, 0.05, 0.05)
    c.setFont(BOLD, 9)
    c.drawRightString(width - 24, height - 18, f"{text.level} · Bản số {text.copy_number}")
    c.setFont(REGULAR, 7)
    lines = simpleSplit(nfc(text.footer), REGULAR, 7, width - 48)
    y = 10 + 8.5 * (len(lines) - 1)
    for line in lines:
        c.drawString(24, y, line)
        y -= 8.5
    c.save()
    return buffer.getvalue()


def stamp_pdf(source: bytes, text: StampText) -> bytes:
    """`source` with the stamp on every page (scaled to each page's own size)."""
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(source)))
    first = writer.pages[0].mediabox
    width, height = float(first.width), float(first.height)
    stamp = PdfReader(io.BytesIO(_stamp_page(width, height, text))).pages[0]
    form = DecodedStreamObject()
    form.set_data(stamp.get_contents().get_data())  # type: ignore[union-attr]
    form.update(
        {
            NameObject("/Type"): NameObject("/XObject"),
            NameObject("/Subtype"): NameObject("/Form"),
            NameObject("/BBox"): ArrayObject(
                [FloatObject(0), FloatObject(0), FloatObject(width), FloatObject(height)]
            ),
            NameObject("/Resources"): stamp["/Resources"].clone(writer),
        }
    )
    form_ref = writer._add_object(form)
    before = DecodedStreamObject()
    before.set_data(b"q\n")
    before_ref = writer._add_object(before)
    afters: dict[tuple[float, float, float, float], IndirectObject] = {}
    for page in writer.pages:
        box = page.mediabox
        key = (float(box.left), float(box.bottom), float(box.width), float(box.height))
        if key not in afters:  # one "after" stream per page size: the stamp fitted to it
            left, bottom, w, h = key
            after = DecodedStreamObject()
            after.set_data(
                f"\nQ\nq {w / width:.5f} 0 0 {h / height:.5f} {left:.3f} {bottom:.3f} cm "
                f"{STAMP} Do Q\n".encode()
            )
            afters[key] = writer._add_object(after)
        resources = page.get("/Resources")
        resources = resources.get_object() if resources is not None else DictionaryObject()
        xobjects = resources.get("/XObject")
        xobjects = xobjects.get_object() if xobjects is not None else DictionaryObject()
        xobjects[STAMP] = form_ref
        resources[NameObject("/XObject")] = xobjects
        page[NameObject("/Resources")] = resources
        contents = page.get("/Contents")
        streams = ArrayObject([before_ref])
        if contents is not None:
            found = contents.get_object()
            if isinstance(found, ArrayObject):
                streams.extend(found)
            elif isinstance(contents, IndirectObject):
                streams.append(contents)
            else:
                streams.append(writer._add_object(found))
        streams.append(afters[key])
        page[NameObject("/Contents")] = streams
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def copy_dir(storage: Storage, document_id: int) -> Path:
    return storage.root / "stamped" / str(document_id)


def copy_path(storage: Storage, document_id: int, sha256: str) -> Path:
    return copy_dir(storage, document_id) / f"{sha256}.pdf"


@dataclass(frozen=True)
class Copy:
    path: Path
    sha256: str
    copy_number: int


def ensure_copy(
    database: Database,
    storage: Storage,
    *,
    document_id: int,
    revision: int,
    source_sha256: str,
    attendee_id: int,
    holder: str,
    level: str,
    timezone: str,
) -> Copy:
    """The delegate's stamped copy of this revision: made on first use (its number is the
    next of this revision's), then the same file every time. Two requests at once (pdf.js
    asks in parallel) agree on one row and one file."""
    row = _copy_row(database, document_id, revision, attendee_id, holder)
    if row.sha256:
        path = copy_path(storage, document_id, row.sha256)
        if path.is_file():
            return Copy(path, row.sha256, row.copy_number)
    issued = row.created_at.astimezone(ZoneInfo(timezone)).strftime("%H:%M %d/%m/%Y")
    text = StampText(row.holder, row.copy_number, issued, level)
    source = storage.read_bytes(source_sha256)
    stamped = off_hub(stamp_pdf, source, text)
    sha = hashlib.sha256(stamped).hexdigest()
    path = copy_path(storage, document_id, sha)
    storage.write(path, stamped)  # sealed like the original
    with database.unit_of_work() as session:
        session.execute(
            update(StampedCopy)
            .where(col(StampedCopy.id) == row.id, col(StampedCopy.sha256) == "")
            .values(sha256=sha)
        )
        winner = session.get(StampedCopy, row.id)
        assert winner is not None
        final = winner.sha256
    if final != sha:  # another request wrote its copy first: serve that one
        path.unlink(missing_ok=True)
        path = copy_path(storage, document_id, final)
        if not path.is_file():
            storage.write(path, stamped)  # its file went missing: ours has the same pages
            return Copy(path, sha, row.copy_number)
    return Copy(path, final, row.copy_number)


def find_copy(
    database: Database, storage: Storage, *, document_id: int, revision: int, attendee_id: int
) -> Copy | None:
    """The delegate's stamped copy of this revision if it was made (ensure_copy), else None:
    a look that issues nothing."""
    with database.unit_of_work(write=False) as session:
        row = session.exec(
            select(StampedCopy).where(
                StampedCopy.document_id == document_id,
                StampedCopy.revision == revision,
                StampedCopy.attendee_id == attendee_id,
            )
        ).first()
    if row is None or not row.sha256:
        return None
    path = copy_path(storage, document_id, row.sha256)
    return Copy(path, row.sha256, row.copy_number) if path.is_file() else None


def _copy_row(
    database: Database, document_id: int, revision: int, attendee_id: int, holder: str
) -> StampedCopy:
    find = select(StampedCopy).where(
        StampedCopy.document_id == document_id,
        StampedCopy.revision == revision,
        StampedCopy.attendee_id == attendee_id,
    )
    with database.unit_of_work(write=False) as session:
        found = session.exec(find).first()
    if found is not None:
        return found
    for _attempt in range(5):
        try:
            with database.unit_of_work() as session:
                last = session.exec(
                    select(func.max(StampedCopy.copy_number)).where(
                        StampedCopy.document_id == document_id, StampedCopy.revision == revision
                    )
                ).one()
                row = StampedCopy(
                    document_id=document_id,
                    revision=revision,
                    attendee_id=attendee_id,
                    copy_number=(last or 0) + 1,
                    holder=holder[:200],
                    created_at=utcnow(),
                )
                session.add(row)
            return row
        except IntegrityError:
            # This delegate's other request made the row first (use it), or another
            # delegate took that number at the same moment (take the next one).
            with database.unit_of_work(write=False) as session:
                found = session.exec(find).first()
            if found is not None:
                return found
    raise RuntimeError("could not number a stamped copy after 5 tries")


def drop_copies(storage: Storage, document_id: int) -> None:
    """A deleted document's stamped copies."""
    shutil.rmtree(copy_dir(storage, document_id), ignore_errors=True)


def sweep_orphan_copies(database: Database, storage: Storage) -> int:
    """At start-up: the copies of documents that are gone (a meeting deleted with them, or a
    crash between a deletion and its clean-up)."""
    root = storage.root / "stamped"
    if not root.is_dir():
        return 0
    folders = {int(p.name): p for p in root.iterdir() if p.is_dir() and p.name.isdigit()}
    if not folders:
        return 0
    with database.unit_of_work(write=False) as session:
        alive = set(
            session.exec(select(Document.id).where(col(Document.id).in_(list(folders)))).all()
        )
    removed = 0
    for document_id, folder in folders.items():
        if document_id not in alive:
            shutil.rmtree(folder, ignore_errors=True)
            removed += 1
    return removed
