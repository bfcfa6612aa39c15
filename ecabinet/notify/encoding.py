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


# Every combining mark (category Mn) of the BMP dropped, đ / Đ (which do not decompose)
# made plain, typography folded: one str.translate, at C speed, after NFD.
_BARE = {
    **{cp: None for cp in range(0x10000) if unicodedata.category(chr(cp)) == "Mn"},
    ord("đ"): "d",
    ord("Đ"): "D",
    **_FOLD,
}


def khong_dau(text: str) -> str:
    """The text without diacritics (Họp → Hop, Đà → Da) and with typographic punctuation
    folded to plain ASCII, so it fits GSM-7."""
    return unicodedata.normalize("NFC", unicodedata.normalize("NFD", text).translate(_BARE))


def _alphabet() -> tuple[frozenset[str], frozenset[str]]:
    """GSM-7's basic characters and its extension table (two septets each), read from the
    gsm0338 codec once: every character it maps lies below U+0400, but for the euro sign."""
    basic: set[str] = set()
    extension: set[str] = set()
    for ch in (*map(chr, range(0x400)), "€"):
        try:
            size = len(ch.encode("gsm03.38"))
        except UnicodeEncodeError:
            continue
        (basic if size == 1 else extension).add(ch)
    return frozenset(basic), frozenset(extension)


GSM7_BASIC, GSM7_EXTENSION = _alphabet()
GSM7 = GSM7_BASIC | GSM7_EXTENSION


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
    """The encoding a phone would use for `text` (NFC) and the segments it takes. Set
    operations on the whole text: 10,000 invitations are measured in a fraction of a second."""
    text = nfc(text)
    if GSM7.issuperset(text):
        escapes = sum(text.count(ch) for ch in GSM7_EXTENSION.intersection(text))
        septets = len(text) + escapes
        if septets <= GSM7_SINGLE:
            return Measured(text, "gsm7", septets, 1)
        sizes = [2 if ch in GSM7_EXTENSION else 1 for ch in text]
        return Measured(text, "gsm7", septets, _parts(sizes, GSM7_SINGLE, GSM7_PART))
    units = len(text.encode("utf-16-le")) // 2
    if units <= UCS2_SINGLE:
        return Measured(text, "ucs2", units, 1)
    sizes = [2 if ord(ch) > 0xFFFF else 1 for ch in text]  # a surrogate pair stays whole
    return Measured(text, "ucs2", units, _parts(sizes, UCS2_SINGLE, UCS2_PART))


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


def as_sent(text: str, *, strip_diacritics: bool) -> str:
    """The text as it will be sent: NFC, and không dấu when asked."""
    text = nfc(text).strip()
    return khong_dau(text) if strip_diacritics else text


def prepare(text: str, *, strip_diacritics: bool) -> Measured:
    return measure(as_sent(text, strip_diacritics=strip_diacritics))
