"""QR codes drawn into PDFs as vector paths: sharp at any print size, small files, fast.

Most of a naive run is qrcode's mask search (8 masks scored in pure Python, about 85% of the
time for 500 cards, ../shared notes). Any mask decodes; the search only avoids patterns some
readers find confusing. Cards in one batch have links of one length, so the version is found
once and every code uses one fixed mask; the tests decode every code from the rendered PDF
to prove they scan."""

from __future__ import annotations

from dataclasses import dataclass

import qrcode
from qrcode.constants import ERROR_CORRECT_M
from qrcode.exceptions import DataOverflowError
from reportlab.pdfgen.canvas import Canvas


@dataclass(frozen=True)
class QrMaker:
    """Matrices for links like `sample` (same length): version found once, mask fixed."""

    version: int

    @classmethod
    def for_sample(cls, sample: str) -> QrMaker:
        code = qrcode.QRCode(error_correction=ERROR_CORRECT_M, border=0)
        code.add_data(sample)
        return cls(code.best_fit())

    def matrix(self, data: str) -> list[list[bool]]:
        code = qrcode.QRCode(
            version=self.version, error_correction=ERROR_CORRECT_M, border=0, mask_pattern=0
        )
        code.add_data(data)
        try:
            code.make(fit=False)
        except DataOverflowError:  # longer than the sample (another host): fit this one
            code = qrcode.QRCode(error_correction=ERROR_CORRECT_M, border=0, mask_pattern=0)
            code.add_data(data)
            code.make(fit=True)
        matrix: list[list[bool]] = code.get_matrix()
        return matrix


def draw_qr(canvas: Canvas, matrix: list[list[bool]], x: float, y: float, size: float) -> None:
    """Draw `matrix` with its lower-left corner at (x, y), `size` points wide, the four-module
    quiet zone readers need inside that width. The dark runs of each row are merged into
    rectangles and written as PDF path operators in module units (whole numbers) under one
    scaling: reportlab's path API formats every coordinate in Python (two thirds of a
    500-card run)."""
    modules = len(matrix) + 8
    cell = size / modules
    height = len(matrix)
    ops: list[str] = []
    for row_index, row in enumerate(matrix):
        row_y = height - 1 - row_index
        start = -1
        for col_index, dark in enumerate(row):
            if dark and start < 0:
                start = col_index
            elif not dark and start >= 0:
                ops.append(f"{start} {row_y} {col_index - start} 1 re")
                start = -1
        if start >= 0:
            ops.append(f"{start} {row_y} {len(row) - start} 1 re")
    canvas.saveState()
    canvas.translate(x + 4 * cell, y + 4 * cell)
    canvas.scale(cell, cell)
    canvas.setFillColorRGB(0, 0, 0)
    canvas.addLiteral("\n".join(ops) + "\nf")
    canvas.restoreState()
