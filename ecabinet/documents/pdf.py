"""PDF checks on upload and PDF generation with Vietnamese fonts (reportlab)."""

from __future__ import annotations

import io
import logging
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from pypdf import PdfReader
from pypdf.errors import PdfReadError, PyPdfError

from ecabinet.errors import Invalid

log = logging.getLogger(__name__)
MAX_PAGES = 2000


@dataclass(frozen=True)
class PdfInfo:
    page_count: int


def inspect_pdf(path: Path, head: bytes) -> PdfInfo:
    """Accept only readable, unencrypted PDFs; anything else is a clear 422."""
    if not head.lstrip(b"\r\n\t ")[:5] == b"%PDF-":
        raise Invalid("Tệp không phải PDF.", code="not_a_pdf", field="file")
    try:
        reader = PdfReader(path, strict=False)
        if reader.is_encrypted:
            raise Invalid(
                "PDF có mật khẩu, không thể hiển thị trên máy tính bảng.",
                code="pdf_encrypted",
                field="file",
            )
        pages = len(reader.pages)
    except (PdfReadError, PyPdfError, ValueError, KeyError, TypeError, RecursionError) as exc:
        log.info("rejected unreadable PDF: %s", exc)
        raise Invalid("Không đọc được tệp PDF.", code="pdf_unreadable", field="file") from None
    if pages == 0 or pages > MAX_PAGES:
        raise Invalid(f"PDF phải có từ 1 đến {MAX_PAGES} trang.", code="pdf_pages", field="file")
    return PdfInfo(page_count=pages)


_FONTS_REGISTERED = False


def register_fonts() -> None:
    """Register Be Vietnam Pro (static TTFs from fontpkg) as the 'VN' family once."""
    global _FONTS_REGISTERED
    if _FONTS_REGISTERED:
        return
    import fontpkg
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    faces = [("VN", 400, "normal"), ("VN-Bold", 700, "normal"), ("VN-Italic", 400, "italic")]
    for name, weight, style in faces:
        path = fontpkg.path("Be Vietnam Pro", weight=weight, style=style)
        pdfmetrics.registerFont(TTFont(name, str(path)))
    pdfmetrics.registerFontFamily("VN", normal="VN", bold="VN-Bold", italic="VN-Italic")
    _FONTS_REGISTERED = True


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
