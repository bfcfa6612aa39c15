"""What an SMS costs before it is sent: its encoding (GSM-7 or UCS-2), its segments, and the
"không dấu" form that fits GSM-7.

Vietnamese with diacritics is UCS-2 almost always (only à è é ì ò ù É of its letters are in
GSM-7): 70 characters in one SMS, 67 per part when split. Without diacritics it is GSM-7:
160 septets, 153 per part, the extension characters (^ { } [ ] ~ | \\ €) costing two and never
split across parts. Text is NFC first: the same words in NFD take a segment more.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from typing import Literal

import gsm0338  # type: ignore[import-untyped]  # noqa: F401  (registers the gsm03.38 codec)

Encoding = Literal["gsm7", "ucs2"]

GSM7_SINGLE, GSM7_PART = 160, 153
UCS2_SINGLE, UCS2_PART = 70, 67

# Typography that forces UCS-2 for nothing: folded in the không dấu form.
_FOLD = str.maketrans(
    {
        "–": "-",
        "—": "-",
        "‐": "-",
        "‑": "-",
        "‘": "'",
        "’": "'",
        "‚": "'",
        "“": '"',
        "”": '"',
        "„": '"',
        "…": "...",
        "•": "-",
        "·": "-",
        "`": "'",
        "\u00a0": " ",
        "\u2009": " ",
        "\u202f": " ",
        "\t": " ",
    }
)


def nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def khong_dau(text: str) -> str:
    """The text without diacritics (Họp → Hop, Đà → Da) and with typographic punctuation
    folded to plain ASCII, so it fits GSM-7."""
    decomposed = unicodedata.normalize("NFD", text)
    bare = "".join(ch for ch in decomposed if unicodedata.category(ch) != "Mn")
    bare = bare.replace("đ", "d").replace("Đ", "D")  # đ has no decomposition
    return unicodedata.normalize("NFC", bare).translate(_FOLD)


def _septets(ch: str) -> int | None:
    """Septets a character takes in GSM-7 (2 for the extension table), None if it has none."""
    try:
        return len(ch.encode("gsm03.38"))
    except UnicodeEncodeError:
        return None


@dataclass(frozen=True)
class Measured:
    text: str
    encoding: Encoding
    units: int  # septets (GSM-7) or UTF-16 code units (UCS-2)
    segments: int

    @property
    def per_segment(self) -> int:
        if self.encoding == "gsm7":
            return GSM7_SINGLE if self.segments <= 1 else GSM7_PART
        return UCS2_SINGLE if self.segments <= 1 else UCS2_PART


def measure(text: str) -> Measured:
    """The encoding a phone would use for `text` (NFC) and the segments it takes."""
    text = nfc(text)
    sizes = [_septets(ch) for ch in text]
    if all(size is not None for size in sizes):
        septets = [s for s in sizes if s is not None]
        return Measured(text, "gsm7", sum(septets), _parts(septets, GSM7_SINGLE, GSM7_PART))
    units = [2 if ord(ch) > 0xFFFF else 1 for ch in text]  # a surrogate pair stays whole
    return Measured(text, "ucs2", sum(units), _parts(units, UCS2_SINGLE, UCS2_PART))


def _parts(sizes: list[int], single: int, part: int) -> int:
    """Segments by greedy packing: an escape pair or surrogate pair never straddles two."""
    total = sum(sizes)
    if total <= single:
        return 1
    count, used = 1, 0
    for size in sizes:
        if used + size > part:
            count, used = count + 1, 0
        used += size
    return count


def prepare(text: str, *, strip_diacritics: bool) -> Measured:
    """The text as it will be sent: NFC, and không dấu when asked."""
    text = nfc(text).strip()
    return measure(khong_dau(text) if strip_diacritics else text)
