"""PDF checks on upload and PDF generation with Vietnamese fonts (reportlab)."""

from __future__ import annotations

import io
import json
import logging
import subprocess
import sys
import time
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ecabinet.errors import Invalid

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PdfLimits:
    """Bounds for reading one uploaded PDF (config: PDF_*). The read runs in a child process,
    so a hostile file costs that process, never the server's hub."""

    max_pages: int = 2000
    max_depth: int = 100  # nesting of dictionaries and arrays
    max_warnings: int = 200  # pypdf warnings before the file is called broken
    seconds: float = 20.0  # wall clock; CPU is capped at the same figure
    memory_mb: int = 768  # address space of the child

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> PdfLimits:
        return cls(
            max_pages=int(config["PDF_MAX_PAGES"]),
            seconds=float(config["PDF_CHECK_SECONDS"]),
            memory_mb=int(config["PDF_CHECK_MEMORY_MB"]),
        )


@dataclass(frozen=True)
class PdfInfo:
    page_count: int
    thumbnail: bool = False  # a first-page PNG was written where the caller asked


def check_header(head: bytes) -> None:
    """The cheap check, done on the request: the bytes must at least start like a PDF."""
    if not head.lstrip(b"\r\n\t ")[:5] == b"%PDF-":
        raise Invalid("Tệp không phải PDF.", code="not_a_pdf", field="file")


def _too_complex(message: str) -> Invalid:
    return Invalid(message, code="pdf_too_complex", field="file")


def inspect_pdf(
    path: Path, head: bytes, limits: PdfLimits | None = None, *, thumbnail_to: Path | None = None
) -> PdfInfo:
    """Accept only readable, unencrypted PDFs within `limits`; anything else is a clear 422.
    With `thumbnail_to`, a PNG of the first page is written there when the file passes."""
    limits = limits or PdfLimits()
    check_header(head)
    verdict = _probe(path, limits, thumbnail_to)
    if verdict.get("warnings"):
        log.info("pypdf warned %d times reading %s", verdict["warnings"], path.name)
    if verdict.get("ok"):
        pages = int(verdict["pages"])
        if pages == 0:
            raise Invalid("PDF không có trang nào.", code="pdf_pages", field="file")
        return PdfInfo(page_count=pages, thumbnail=bool(verdict.get("thumbnail")))
    code, detail = str(verdict.get("code")), str(verdict.get("detail", ""))
    log.info("rejected PDF %s: %s %s", path.name, code, detail)
    if code == "encrypted":
        raise Invalid(
            "PDF có mật khẩu, không thể hiển thị trên máy tính bảng.",
            code="pdf_encrypted",
            field="file",
        )
    if code == "unreadable":
        raise Invalid("Không đọc được tệp PDF.", code="pdf_unreadable", field="file")
    if code == "too_many_pages":
        raise _too_complex(
            f"PDF có quá nhiều trang (tối đa {limits.max_pages}). Vui lòng tách thành nhiều tệp."
        )
    raise _too_complex(
        "Cấu trúc PDF quá phức tạp hoặc bị hỏng, máy chủ không kiểm tra được. "
        "Vui lòng in lại ra PDF (Print to PDF) rồi tải lên."
    )


def _probe(path: Path, limits: PdfLimits, thumbnail_to: Path | None) -> dict[str, Any]:
    """Run ecabinet.documents.pdf_probe on `path` and return its verdict.

    A child process, not a thread: pypdf is pure Python and would hold the GIL (and, under
    eventlet, the hub); only a process can be killed when a file makes it loop or allocate.
    Under eventlet and gevent the subprocess module is patched, so waiting yields the hub."""
    command = [
        sys.executable,
        "-m",
        "ecabinet.documents.pdf_probe",
        str(path),
        str(limits.max_pages),
        str(limits.max_depth),
        str(limits.max_warnings),
        str(max(1, int(limits.seconds))),
        str(limits.memory_mb),
        *([str(thumbnail_to)] if thumbnail_to else []),
    ]
    started = time.monotonic()
    try:
        done = subprocess.run(  # noqa: S603  (our own module, our own arguments)
            command, capture_output=True, timeout=limits.seconds, check=False
        )
    except subprocess.TimeoutExpired:
        log.warning("PDF check of %s ran out of time (%.0f s)", path.name, limits.seconds)
        return {"ok": False, "code": "timeout"}
    try:
        verdict = json.loads(done.stdout or b"null")
    except ValueError:
        verdict = None
    if not isinstance(verdict, dict):
        # Killed by a resource limit (SIGXCPU, MemoryError at start-up) or a crash.
        log.warning(
            "PDF check of %s ended without a verdict (exit %s after %.1f s): %s",
            path.name,
            done.returncode,
            time.monotonic() - started,
            done.stderr[-300:].decode(errors="replace"),
        )
        return {"ok": False, "code": "crashed"}
    return verdict


def register_fonts() -> None:
    """The 'VN' family (ecabinet.fonts), for text_pdf."""
    from ecabinet.fonts import register_fonts as register

    register()


def text_pdf(title: str, paragraphs: list[str], *, author: str = "") -> bytes:
    """A simple A4 document: a bold title and paragraphs, all text NFC and escaped."""
    from xml.sax.saxutils import escape

    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer

    register_fonts()
    title = unicodedata.normalize("NFC", title)
    buf = io.BytesIO()
    doc = SimpleDocTemplate(
        buf, pagesize=A4, title=title, author=author, leftMargin=25 * mm, rightMargin=20 * mm
    )
    heading = ParagraphStyle("h", fontName="VN-Bold", fontSize=16, leading=22, spaceAfter=12)
    body = ParagraphStyle("b", fontName="VN", fontSize=12, leading=18, spaceAfter=8)
    # reportlab parses markup in Paragraph text: escape user text (CVE-2023-33733 class).
    story = [Paragraph(escape(title), heading), Spacer(1, 4 * mm)]
    story += [Paragraph(escape(unicodedata.normalize("NFC", p)), body) for p in paragraphs]
    doc.build(story)
    return buf.getvalue()
