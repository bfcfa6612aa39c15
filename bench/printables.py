"""Printing pickup cards: 500 cards as one PDF, timed in one process, with the naive way
(qrcode's automatic version and mask search, reportlab's path API per module run, every
card's text drawn on its own) measured side by side in the same run, and the whole printout
job (issuing 500 cards in SQLite, drawing, writing the file) end to end.

Also: stamping a 30-page Mật document for 200 delegates (documents.watermark: the stamp as
one form XObject placed on every page) beside pypdf's merge_page in the same run.

Targets from issue 9: 500 cards < 1 s; stamping < 50 ms per copy. Appends a section to
bench/RESULTS.md and the raw figures to bench/results/.

Run: .venv/bin/python bench/printables.py [--cards 500] [--repeat 5]
"""

from __future__ import annotations

import argparse
import io
import json
import secrets
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import qrcode
from fanout import machine_info  # bench/ is sys.path[0] when run as a script
from pypdf import PdfReader, PdfWriter
from qrcode.constants import ERROR_CORRECT_M
from reportlab.pdfgen.canvas import Canvas

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

from ecabinet.documents.watermark import StampText, stamp_pdf  # noqa: E402
from ecabinet.fonts import BOLD, REGULAR, register_fonts  # noqa: E402
from ecabinet.pickup.codes import new_code  # noqa: E402
from ecabinet.printing import layouts  # noqa: E402
from ecabinet.printing.qr import QrMaker  # noqa: E402

BENCH_DIR = Path(__file__).resolve().parent
BASE = "http://192.168.100.20:5000"
HEADING = layouts.MeetingHeading(
    title="Hội nghị Ban Chấp hành Đảng bộ tỉnh lần thứ 12 (mở rộng)",
    kind="Ban Chấp hành",
    organiser="Tỉnh ủy Quảng Nam",
    location="Hội trường tầng 2, Trung tâm Hội nghị tỉnh",
    when="08:00 ngày 20/12/2026",
)


def sample_cards(count: int) -> list[layouts.Card]:
    return [
        layouts.Card(
            name=f"Nguyễn Thị Phượng Hoàng {n}",
            position="Phó Bí thư Thường trực",
            unit="Đảng ủy xã Điện Bàn",
            url=f"{BASE}/p/{secrets.token_urlsafe(16)}",
            code=new_code(),
        )
        for n in range(count)
    ]


def ours(cards: list[layouts.Card]) -> bytes:
    sheet = layouts.CardSheet(HEADING, f"{BASE}/ma", cards[0].url)
    for start in range(0, len(cards), 100):
        sheet.add(cards[start : start + 100])
    return sheet.finish()


class NaiveSheet(layouts.CardSheet):
    """The same cards the first way one writes them: every card drawn whole, each QR found
    by qrcode's full search and drawn through reportlab's path API."""

    def add(self, cards: list[layouts.Card]) -> None:
        for card in cards:
            slot = self.drawn % self.PER_PAGE
            if slot == 0 and self.drawn:
                self.canvas.showPage()
            c = self.canvas
            c.saveState()
            c.translate((slot % 2) * self.W, layouts.PAGE_H - (slot // 2 + 1) * self.H)
            self._draw_shared_again(c)
            self._card(card)
            c.restoreState()
            self.drawn += 1

    def _draw_shared_again(self, c: Canvas) -> None:
        for line in layouts._lines(HEADING.title, BOLD, 11, self.width, 2):
            c.setFont(BOLD, 11)
            c.drawString(self.PAD, self.H - 40, line)
        for step in ("1. Mở camera...", "2. Chạm vào đường liên kết hiện ra.", "3. Tự mở."):
            c.setFont(REGULAR, 12.5)
            c.drawString(self.PAD, 60, step)


def naive(cards: list[layouts.Card]) -> bytes:
    real_matrix, real_draw = QrMaker.matrix, getattr(layouts, "draw_qr")  # noqa: B009

    def searched(_self: QrMaker, data: str) -> list[list[bool]]:
        code = qrcode.QRCode(error_correction=ERROR_CORRECT_M, border=0)
        code.add_data(data)
        code.make(fit=True)
        matrix: list[list[bool]] = code.get_matrix()
        return matrix

    def path_api(canvas: Canvas, matrix: list[list[bool]], x: float, y: float, size: float) -> None:
        cell = size / (len(matrix) + 8)
        path = canvas.beginPath()
        for r, row in enumerate(matrix):
            for col, dark in enumerate(row):
                if dark:
                    path.rect(x + (4 + col) * cell, y + size - (5 + r) * cell, cell, cell)
        canvas.drawPath(path, stroke=0, fill=1)

    setattr(QrMaker, "matrix", searched)  # noqa: B010  (the naive way, for this run only)
    setattr(layouts, "draw_qr", path_api)  # noqa: B010
    try:
        sheet = NaiveSheet(HEADING, f"{BASE}/ma", cards[0].url)
        sheet.add(cards)
        return sheet.finish()
    finally:
        setattr(QrMaker, "matrix", real_matrix)  # noqa: B010
        setattr(layouts, "draw_qr", real_draw)  # noqa: B010


def whole_job(count: int) -> float:
    """Request and build a card printout for `count` attendees on a fresh SQLite database."""
    import os
    import subprocess

    from ecabinet.actor import Role
    from ecabinet.db import Database
    from ecabinet.documents.storage import Storage
    from ecabinet.printing import service
    from ecabinet.printing.models import PrintKind
    from tests.factories import make_meeting

    with tempfile.TemporaryDirectory(prefix="ecabinet-print-") as tmp:
        url = f"sqlite:///{tmp}/bench.db"
        env = {**os.environ, "ECABINET_DATABASE_URL": url}
        subprocess.run(
            [sys.executable, "-m", "ecabinet", "db", "upgrade"],
            cwd=REPO_ROOT,
            env=env,
            check=True,
            capture_output=True,
        )
        database = Database.from_url(url)
        from ecabinet.attendees.models import Attendee
        from tests.factories import make_user

        secretary = make_user(database, Role.SECRETARY)
        meeting = make_meeting(database, secretary=secretary, items=0)
        with database.unit_of_work() as session:
            for n in range(count):
                session.add(
                    Attendee(
                        meeting_id=meeting.id,
                        full_name=f"Trần Văn Hùng {n}",
                        position="Đại biểu",
                        unit="Sở Nội vụ",
                    )
                )
        storage = Storage(Path(tmp) / "storage")
        started = time.perf_counter()
        with database.unit_of_work() as session:
            printout = service.request_printout(
                session,
                actor=secretary.actor,
                meeting_id=meeting.id,
                kind=PrintKind.CARDS,
                public_url=BASE,
            )
            printout_id = printout.id or 0
        service.build_printout(
            database, storage, printout_id=printout_id, settings=service.PrintSettings()
        )
        elapsed = time.perf_counter() - started
        database.dispose()
        return elapsed


def thirty_pages() -> bytes:
    from ecabinet.documents.pdf import text_pdf

    paragraph = "Nội dung tài liệu họp: Đảng ủy, Hội đồng nhân dân, Ủy ban nhân dân tỉnh. " * 20
    for count in range(40, 200, 4):
        pdf = text_pdf("Báo cáo nhân sự", [paragraph] * count)
        if len(PdfReader(io.BytesIO(pdf)).pages) >= 30:
            return pdf
    raise RuntimeError("could not make 30 pages")


def stamp_ours(source: bytes, n: int) -> bytes:
    text = StampText(f"Đại biểu số {n}", n, "14:05 06/12/2026", "MẬT")
    return stamp_pdf(source, text)


def stamp_naive(source: bytes, n: int) -> bytes:
    """pypdf's merge_page of the same stamp onto every page (parses each page's content)."""
    from ecabinet.documents.watermark import _stamp_page

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(source)))
    box = writer.pages[0].mediabox
    text = StampText(f"Đại biểu số {n}", n, "14:05 06/12/2026", "MẬT")
    stamp = PdfReader(io.BytesIO(_stamp_page(float(box.width), float(box.height), text))).pages[0]
    for page in writer.pages:
        page.merge_page(stamp, over=True)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cards", type=int, default=500)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--delegates", type=int, default=200, help="stamped copies per way")
    parser.add_argument("--results-md", type=Path, default=BENCH_DIR / "RESULTS.md")
    parser.add_argument("--results-dir", type=Path, default=BENCH_DIR / "results")
    args = parser.parse_args(argv)
    register_fonts()
    runs: dict[str, list[float]] = {"ours": [], "naive": [], "job": []}
    sizes: dict[str, int] = {}
    for _ in range(args.repeat):  # interleaved, so both see the same machine load
        cards = sample_cards(args.cards)
        for name, build in (("ours", ours), ("naive", naive)):
            started = time.perf_counter()
            pdf = build(cards)
            runs[name].append(time.perf_counter() - started)
            sizes[name] = len(pdf)
        runs["job"].append(whole_job(args.cards))
        print(json.dumps({k: round(v[-1], 3) for k, v in runs.items()}), flush=True)
    source = thirty_pages()
    pages = len(PdfReader(io.BytesIO(source)).pages)
    stamp_ms: dict[str, list[float]] = {"ours": [], "naive": []}
    for n in range(1, args.delegates + 1):  # interleaved, one copy each way per delegate
        for name, make_copy in (("ours", stamp_ours), ("naive", stamp_naive)):
            started = time.perf_counter()
            make_copy(source, n)
            stamp_ms[name].append((time.perf_counter() - started) * 1000)
    stamp_median = {k: statistics.median(v) for k, v in stamp_ms.items()}
    medians = {k: statistics.median(v) for k, v in runs.items()}
    stamp = datetime.now(UTC)
    args.results_dir.mkdir(parents=True, exist_ok=True)
    raw = args.results_dir / f"printables-{stamp:%Y%m%dT%H%M%SZ}.json"
    raw.write_text(
        json.dumps(
            {
                "machine": machine_info(),
                "cards": args.cards,
                "runs": runs,
                "bytes": sizes,
                "stamp_pages": pages,
                "stamp_ms": stamp_ms,
            },
            indent=2,
        )
    )
    verdict = "met" if medians["ours"] < 1.0 else "NOT met"
    section = "\n".join(
        [
            f"## {stamp:%Y-%m-%d %H:%M} UTC — {args.cards} pickup cards as one PDF",
            "",
            f"- One process, {args.repeat} runs interleaved; medians; raw figures: "
            f"`bench/results/{raw.name}`",
            "",
            "| build | median s | PDF size | ratio to naive |",
            "|---|---|---|---|",
            f"| ours (shared form, one QR version and mask, path operators) "
            f"| {medians['ours']:.2f} | {sizes['ours'] / 1024:.0f} KB "
            f"| {medians['ours'] / medians['naive']:.2f} |",
            f"| naive (mask search, path API per module, text per card) "
            f"| {medians['naive']:.2f} | {sizes['naive'] / 1024:.0f} KB | 1.00 |",
            f"| whole printout job (issue {args.cards} cards in SQLite, draw, write) "
            f"| {medians['job']:.2f} | | |",
            "",
            f"- Target < 1 s for the cards PDF: **{verdict}**",
            "",
            f"Stamping a {pages}-page Mật PDF for {args.delegates} delegates, one copy each "
            "way per delegate, interleaved:",
            "",
            "| stamping | median ms per copy | p90 ms | ratio |",
            "|---|---|---|---|",
            f"| ours (one form XObject, two small streams per page) "
            f"| {stamp_median['ours']:.1f} | {_p90(stamp_ms['ours']):.1f} "
            f"| {stamp_median['ours'] / stamp_median['naive']:.2f} |",
            f"| pypdf merge_page | {stamp_median['naive']:.1f} "
            f"| {_p90(stamp_ms['naive']):.1f} | 1.00 |",
            "",
            f"- Target < 50 ms per copy: **{'met' if stamp_median['ours'] < 50 else 'NOT met'}**",
        ]
    )
    with args.results_md.open("a") as out:
        out.write("\n" + section + "\n")
    print(section)
    return 0


def _p90(values: list[float]) -> float:
    return sorted(values)[int(len(values) * 0.9) - 1]


if __name__ == "__main__":
    sys.exit(main())
