"""Fonts for the PDFs we write: Be Vietnam Pro (static TTFs from the pinned fontpkg package),
else DejaVu Sans from the system (found with fc-match, never a hard-coded path). reportlab's
own fonts have no Vietnamese letters (100 missing glyphs: "Cu c h p"), so there is no third
choice: without either, printing stops with a message saying what to install."""

from __future__ import annotations

import shutil
import subprocess
import threading
from pathlib import Path

REGULAR, BOLD, ITALIC = "VN", "VN-Bold", "VN-Italic"
_lock = threading.Lock()
_registered: str | None = None


class FontMissing(RuntimeError):
    pass


def _be_vietnam_pro() -> dict[str, Path] | None:
    try:
        import fontpkg
    except ImportError:
        return None
    try:
        return {
            REGULAR: Path(fontpkg.path("Be Vietnam Pro", weight=400, style="normal")),
            BOLD: Path(fontpkg.path("Be Vietnam Pro", weight=700, style="normal")),
            ITALIC: Path(fontpkg.path("Be Vietnam Pro", weight=400, style="italic")),
        }
    except Exception:  # a broken install: fall back to DejaVu
        return None


def _dejavu() -> dict[str, Path] | None:
    if shutil.which("fc-match") is None:
        return None
    found = {}
    for name, pattern in (
        (REGULAR, "DejaVu Sans"),
        (BOLD, "DejaVu Sans:bold"),
        (ITALIC, "DejaVu Sans:oblique"),
    ):
        result = subprocess.run(  # noqa: S603
            ["fc-match", "-f", "%{file}", pattern],  # noqa: S607
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
        path = Path(result.stdout.strip())
        if "DejaVu" not in path.name or path.suffix.lower() != ".ttf" or not path.is_file():
            return None
        found[name] = path
    return found


def register_fonts() -> str:
    """Register the 'VN' family once per process; returns the face used."""
    global _registered
    with _lock:
        if _registered is not None:
            return _registered
        from reportlab.pdfbase import pdfmetrics
        from reportlab.pdfbase.ttfonts import TTFont

        for face, files in (("Be Vietnam Pro", _be_vietnam_pro()), ("DejaVu Sans", _dejavu())):
            if files is None:
                continue
            for name, path in files.items():
                pdfmetrics.registerFont(TTFont(name, str(path)))
            pdfmetrics.registerFontFamily(REGULAR, normal=REGULAR, bold=BOLD, italic=ITALIC)
            _registered = face
            return face
        raise FontMissing(
            "Không có phông chữ tiếng Việt để in: cài gói Python fontpkg-be-vietnam-pro "
            "(có sẵn khi cài ecabinet) hoặc gói hệ thống fonts-dejavu-core."
        )
