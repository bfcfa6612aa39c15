"""The printed pages, drawn with reportlab from plain values (no database, no Flask): pickup
cards, the official agenda, a cover sheet per document and the room poster. Every string is
NFC before it is drawn (NFD marks land beside their letter and extract as NFD) and drawn as
text, never parsed as markup. Cards are drawn in chunks, so a job can report progress
between them."""

from __future__ import annotations

import io
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from xml.sax.saxutils import escape

from reportlab.lib.colors import Color, black, white
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.lib.utils import simpleSplit
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas

from ecabinet.fonts import BOLD, ITALIC, REGULAR, register_fonts
from ecabinet.printing.qr import QrMaker, draw_qr

RED = Color(0.75, 0.1, 0.1)
GREY = Color(0.35, 0.35, 0.35)
PAGE_W, PAGE_H = A4


def nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text or "")


@dataclass(frozen=True)
class MeetingHeading:
    """What every printout says about its meeting, already formatted for people."""

    title: str
    kind: str = ""
    organiser: str = ""
    location: str = ""
    when: str = ""  # "08:00 ngày 20/12/2026", in the configured time zone
    level: str = ""  # "" for Thường, else "MẬT" / "TỐI MẬT"


@dataclass(frozen=True)
class Card:
    name: str
    position: str
    unit: str
    url: str  # the QR's link, with the configured public address
    code: str  # the typed fallback, "7KQ2M-9XP4H"


def _lines(text: str, font: str, size: float, width: float, most: int) -> list[str]:
    lines = simpleSplit(nfc(text), font, size, width) if text else []
    if len(lines) > most:  # keep the card's layout: cut, and say so with an ellipsis
        lines = lines[:most]
        last = lines[-1]
        while last and stringWidth(last + "…", font, size) > width:
            last = last[:-1]
        lines[-1] = last + "…"
    return lines


def _write(
    canvas: Canvas, lines: Iterable[str], font: str, size: float, x: float, y: float, leading: float
) -> float:
    """Draw lines downwards from baseline y; returns the baseline after the last."""
    canvas.setFont(font, size)
    for line in lines:
        canvas.drawString(x, y, line)
        y -= leading
    return y


class CardSheet:
    """Pickup cards, four to an A4 page (each A6, cut along the dashed lines): meeting, name,
    QR, typed code and three steps in large type.

    What every card shares (the meeting, the steps) is drawn once into a PDF form and placed
    on each card; only the name, QR and code are drawn per card. The layout keeps fixed
    slots (two lines for the name, two for the position) so the shared part never moves."""

    PER_PAGE = 4
    W, H = PAGE_W / 2, PAGE_H / 2
    PAD = 8 * mm
    FORM = "card"

    def __init__(self, heading: MeetingHeading, code_page: str, sample_url: str) -> None:
        register_fonts()
        self.heading = heading
        self.code_page = nfc(code_page)
        self.maker = QrMaker.for_sample(sample_url)
        self.buffer = io.BytesIO()
        self.canvas = Canvas(self.buffer, pagesize=A4, pageCompression=1)
        self.canvas.setTitle(nfc(f"Thẻ đại biểu: {heading.title}"))
        self.canvas.setAuthor(nfc(heading.organiser or "eCabinet"))
        self.drawn = 0
        self.width = self.W - 2 * self.PAD
        self.name_top = 0.0  # card coordinates, set by _shared_form
        self.qr_bottom = 0.0
        self._shared_form()

    def add(self, cards: list[Card]) -> None:
        for card in cards:
            slot = self.drawn % self.PER_PAGE
            if slot == 0 and self.drawn:
                self.canvas.showPage()
            if slot == 0:
                self._cut_lines()
            c = self.canvas
            c.saveState()
            c.translate((slot % 2) * self.W, PAGE_H - (slot // 2 + 1) * self.H)
            c.doForm(self.FORM)
            self._card(card)
            c.restoreState()
            self.drawn += 1

    def finish(self) -> bytes:
        if self.drawn == 0:
            self._cut_lines()
        self.canvas.save()
        return self.buffer.getvalue()

    def _cut_lines(self) -> None:
        c = self.canvas
        c.saveState()
        c.setStrokeColor(GREY)
        c.setLineWidth(0.3)
        c.setDash(3, 3)
        c.line(self.W, 0, self.W, PAGE_H)
        c.line(0, self.H, PAGE_W, self.H)
        c.restoreState()

    def _shared_form(self) -> None:
        c, h, left, width = self.canvas, self.heading, self.PAD, self.width
        c.beginForm(self.FORM, lowerx=0, lowery=0, upperx=self.W, uppery=self.H)
        y = self.H - self.PAD - 8
        if h.level:
            c.setFillColor(RED)
            c.setFont(BOLD, 11)
            c.drawRightString(left + width, y, h.level)
            c.setFillColor(black)
        top = " · ".join(p for p in (nfc(h.kind), nfc(h.organiser)) if p)
        y = _write(c, _lines(top, REGULAR, 8, width - 20 * mm, 1), REGULAR, 8, left, y, 10)
        y = _write(c, _lines(h.title, BOLD, 11, width, 2), BOLD, 11, left, y - 2, 13.5)
        where = ", ".join(p for p in (nfc(h.when), nfc(h.location)) if p)
        y = _write(c, _lines(where, REGULAR, 9, width, 2), REGULAR, 9, left, y, 11)
        c.setStrokeColor(GREY)
        c.setLineWidth(0.5)
        c.line(left, y + 4, left + width, y + 4)
        self.name_top = y - 14
        qr_size = 50 * mm
        # Two lines of name (19 pt) and two of position (12.5 pt) above the QR.
        self.qr_bottom = self.name_top - 2 * 19 - 2 * 12.5 - qr_size + 10
        code_x = left + qr_size - 1 * mm
        c.setFont(REGULAR, 9)
        c.drawString(code_x, self.qr_bottom + qr_size - 18, "Mã dự phòng:")
        y = self.qr_bottom - 4
        steps = [
            "1. Mở camera của máy tính bảng, hướng vào mã QR.",
            "2. Chạm vào đường liên kết hiện ra.",
            "3. Tài liệu họp tự mở, không cần gõ gì.",
        ]
        for step in steps:
            y = _write(c, _lines(step, REGULAR, 12.5, width, 2), REGULAR, 12.5, left, y - 3, 15)
        fallback = f"Không quét được? Mở {self.code_page} và gõ mã dự phòng."
        _write(c, _lines(fallback, REGULAR, 9, width, 2), REGULAR, 9, left, y - 3, 11)
        c.setFont(ITALIC, 7.5)
        c.setFillColor(GREY)
        c.drawString(left, self.PAD - 2, "Thẻ cá nhân: không cho người khác mượn hoặc chụp lại.")
        c.endForm()

    def _card(self, card: Card) -> None:
        c, left, width = self.canvas, self.PAD, self.width
        y = _write(c, _lines(card.name, BOLD, 16, width, 2), BOLD, 16, left, self.name_top, 19)
        role = " · ".join(p for p in (nfc(card.position), nfc(card.unit)) if p)
        _write(c, _lines(role, REGULAR, 10, width, 2), REGULAR, 10, left, y, 12.5)
        qr_size = 50 * mm
        draw_qr(c, self.maker.matrix(card.url), left - 4 * mm, self.qr_bottom, qr_size)
        code_x = left + qr_size - 1 * mm
        first, _, second = card.code.partition("-")
        c.setFont(BOLD, 21)
        c.drawString(code_x, self.qr_bottom + qr_size - 44, first)
        c.drawString(code_x, self.qr_bottom + qr_size - 70, second)


@dataclass(frozen=True)
class AgendaLine:
    label: str
    title: str
    presenter: str
    minutes: int | None
    sub: bool


def agenda_pdf(heading: MeetingHeading, lines: list[AgendaLine]) -> bytes:
    """The official agenda (chương trình), A4 with a table of the items."""
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    register_fonts()
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=25 * mm,
        rightMargin=18 * mm,
        topMargin=18 * mm,
        bottomMargin=18 * mm,
        title=nfc(f"Chương trình: {heading.title}"),
        author=nfc(heading.organiser or "eCabinet"),
    )
    small = ParagraphStyle("s", fontName=REGULAR, fontSize=11, leading=14, alignment=1)
    big = ParagraphStyle("h", fontName=BOLD, fontSize=16, leading=21, alignment=1, spaceAfter=4)
    body = ParagraphStyle("b", fontName=REGULAR, fontSize=11.5, leading=15)
    bold = ParagraphStyle("bb", parent=body, fontName=BOLD)

    def p(text: str, style: ParagraphStyle) -> Paragraph:
        return Paragraph(escape(nfc(text)), style)  # user text: escaped, never markup

    story: list[object] = []
    if heading.level:
        story.append(p(heading.level, ParagraphStyle("l", parent=big, textColor=RED)))
    if heading.organiser:
        story.append(p(heading.organiser.upper(), ParagraphStyle("o", parent=small, fontName=BOLD)))
    story += [Spacer(1, 6 * mm), p("CHƯƠNG TRÌNH", big), p(heading.title, big)]
    where = " · ".join(x for x in (heading.when, heading.location) if x)
    if where:
        story.append(p(where, small))
    story.append(Spacer(1, 8 * mm))
    rows: list[list[object]] = [
        [p("Mục", bold), p("Nội dung", bold), p("Trình bày", bold), p("Thời lượng", bold)]
    ]
    for line in lines:
        style = body if line.sub else bold
        rows.append(
            [
                p(line.label, style),
                p(line.title, style),
                p(line.presenter, body),
                p(f"{line.minutes} phút" if line.minutes else "", body),
            ]
        )
    if not lines:
        rows.append([p("", body), p("Chưa có nội dung.", body), p("", body), p("", body)])
    table = Table(rows, colWidths=[16 * mm, 82 * mm, 42 * mm, 27 * mm], repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LINEBELOW", (0, 0), (-1, 0), 0.8, black),
                ("LINEBELOW", (0, 1), (-1, -1), 0.25, GREY),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 5),
            ]
        )
    )
    story.append(table)
    doc.build(story)  # type: ignore[arg-type]
    return buffer.getvalue()


@dataclass(frozen=True)
class CoverSheet:
    title: str
    revision: int
    pages: int
    level: str  # "" or "MẬT" / "TỐI MẬT"
    sha256: str
    agenda_label: str  # "II.1" or ""
    verify_url: str


def covers_pdf(heading: MeetingHeading, sheets: list[CoverSheet]) -> bytes:
    """A cover sheet per document: what it is, which revision, its level and a QR that
    verifies the paper without opening its content."""
    register_fonts()
    buffer = io.BytesIO()
    c = Canvas(buffer, pagesize=A4, pageCompression=1)
    c.setTitle(nfc(f"Trang bìa tài liệu: {heading.title}"))
    maker = QrMaker.for_sample(sheets[0].verify_url) if sheets else None
    left, width = 25 * mm, PAGE_W - 43 * mm
    for sheet in sheets or []:
        y = PAGE_H - 25 * mm
        if heading.organiser:
            y = _write(
                c, _lines(heading.organiser.upper(), BOLD, 12, width, 2), BOLD, 12, left, y, 15
            )
        y = _write(c, _lines(heading.title, REGULAR, 12, width, 3), REGULAR, 12, left, y - 4, 15)
        if sheet.level:
            c.setStrokeColor(RED)
            c.setFillColor(RED)
            c.setLineWidth(2)
            c.rect(left, y - 30, 60 * mm, 26, stroke=1, fill=0)
            c.setFont(BOLD, 18)
            c.drawCentredString(left + 30 * mm, y - 22, sheet.level)
            c.setFillColor(black)
            y -= 44
        y -= 30
        if sheet.agenda_label:
            y = _write(c, [f"Nội dung {sheet.agenda_label}"], REGULAR, 12, left, y, 16)
        y = _write(c, _lines(sheet.title, BOLD, 22, width, 5), BOLD, 22, left, y, 28)
        facts = [f"Bản số {sheet.revision}" + (f" · {sheet.pages} trang" if sheet.pages else "")]
        facts.append(f"SHA-256: {sheet.sha256[:16]}…")
        y = _write(c, facts, REGULAR, 11, left, y - 8, 15)
        assert maker is not None
        size = 45 * mm
        draw_qr(c, maker.matrix(sheet.verify_url), left - 4 * mm, 30 * mm, size)
        note = [
            "Quét mã để xác minh: văn bản nào, bản số mấy,",
            "còn hiện hành hay đã bị thay thế.",
            "Mã không mở được nội dung văn bản.",
        ]
        _write(c, note, REGULAR, 10, left + size, 30 * mm + size - 14, 13)
        _write(c, [nfc(sheet.verify_url)], REGULAR, 8, left + size, 30 * mm + 12, 10)
        c.showPage()
    if not sheets:
        _write(c, ["Cuộc họp chưa có tài liệu sẵn sàng."], REGULAR, 12, left, PAGE_H / 2, 15)
        c.showPage()
    c.save()
    return buffer.getvalue()


def poster_pdf(heading: MeetingHeading, url: str) -> bytes:
    """The room poster: the meeting, and a large QR of its public page, A4 portrait."""
    register_fonts()
    buffer = io.BytesIO()
    c = Canvas(buffer, pagesize=A4, pageCompression=1)
    c.setTitle(nfc(f"Mã QR phòng họp: {heading.title}"))
    width = PAGE_W - 36 * mm
    y = PAGE_H - 28 * mm
    c.setFillColor(black)
    for line in _lines(heading.organiser.upper(), BOLD, 14, width, 2):
        c.setFont(BOLD, 14)
        c.drawCentredString(PAGE_W / 2, y, line)
        y -= 18
    y -= 10
    for line in _lines(heading.title, BOLD, 24, width, 4):
        c.setFont(BOLD, 24)
        c.drawCentredString(PAGE_W / 2, y, line)
        y -= 30
    for part in (heading.when, heading.location):
        for line in _lines(part, REGULAR, 14, width, 2):
            c.setFont(REGULAR, 14)
            c.drawCentredString(PAGE_W / 2, y, line)
            y -= 19
    size = 120 * mm
    qr_y = 45 * mm
    c.setFillColor(white)
    draw_qr(c, QrMaker.for_sample(url).matrix(url), (PAGE_W - size) / 2, qr_y, size)
    c.setFillColor(black)
    c.setFont(BOLD, 16)
    c.drawCentredString(PAGE_W / 2, 33 * mm, "Quét mã để xem thông tin cuộc họp")
    c.setFont(REGULAR, 12)
    c.drawCentredString(
        PAGE_W / 2, 25 * mm, "Đại biểu: quét mã trên thẻ của mình để mở tài liệu họp."
    )
    c.showPage()
    c.save()
    return buffer.getvalue()
