"""Renders a range of a PDF's pages to images in a child process, under hard limits, and
prints a JSON verdict.

Run by `ecabinet.documents.pages` as `python -m ecabinet.documents.page_render`, a few pages
at a time. pdfium is C: on the server's hub it would stall every tablet, and a page built to
be slow or huge could hold it for minutes; here it can only exhaust this process, which the
parent kills after its time limit (RLIMIT_CPU, RLIMIT_AS, a wall clock). Nothing in this
module is imported by the server itself.

Each page is scaled so its long edge is `long_edge` pixels and written, whole, to
`<out_prefix><number>`; the verdict lists the pages written with their pixel sizes and the
document's page count, or says why none could be (`unreadable`, `too_many_pages`, `too_big`).
"""

from __future__ import annotations

import io
import json
import resource
import sys
from typing import Any

# Lossless WebP keeps text sharp and small (about 90 KB for a dense A4 page at 1600 px);
# a scanned or photographic page is far smaller lossy: past this size, the smaller wins.
LOSSLESS_UP_TO = 300 * 1024


class Refused(Exception):
    def __init__(self, code: str, detail: str = "") -> None:
        super().__init__(code)
        self.code = code
        self.detail = detail


def image_format() -> str:
    """WebP (old Android WebViews show it) when this Pillow can write it, else JPEG."""
    from PIL import features

    return "webp" if features.check("webp") else "jpeg"


def encode(image: Any, fmt: str) -> bytes:
    out = io.BytesIO()
    if fmt == "jpeg":
        image.save(out, "JPEG", quality=85, optimize=True)
        return out.getvalue()
    image.save(out, "WEBP", lossless=True, quality=30, method=2)
    if out.tell() <= LOSSLESS_UP_TO:
        return out.getvalue()
    lossy = io.BytesIO()
    image.save(lossy, "WEBP", quality=80, method=4)
    return min(out.getvalue(), lossy.getvalue(), key=len)


def render(
    path: str, out_prefix: str, *, first: int, last: int, long_edge: int, max_pages: int
) -> dict[str, Any]:
    import pypdfium2 as pdfium

    fmt = image_format()
    try:
        document = pdfium.PdfDocument(path)
    except pdfium.PdfiumError as exc:
        raise Refused("unreadable", str(exc)[:200]) from None
    try:
        document.init_forms()  # filled-in form fields show, as pdf.js shows them
        count = len(document)
        if count < 1:
            raise Refused("unreadable", "no pages")
        if count > max_pages:
            raise Refused("too_many_pages", str(count))
        pages = []
        for number in range(first, min(last, count) + 1):
            page = document[number - 1]
            try:
                width, height = page.get_size()
                if not (width > 0 and height > 0):
                    raise Refused("unreadable", f"page {number} has no size")
                scale = long_edge / max(width, height)
                image = page.render(scale=scale).to_pil()
                if image.mode != "RGB":
                    image = image.convert("RGB")
                data = encode(image, fmt)
                with open(f"{out_prefix}{number}", "wb") as out:
                    out.write(data)
                pages.append({"number": number, "width": image.width, "height": image.height})
            finally:
                page.close()
    except pdfium.PdfiumError as exc:
        raise Refused("unreadable", str(exc)[:200]) from None
    finally:
        document.close()
    return {"ok": True, "count": count, "format": fmt, "pages": pages}


def main(argv: list[str]) -> int:
    path, out_prefix, first, last, long_edge, max_pages, cpu_seconds, memory_mb = argv
    memory = int(memory_mb) * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    resource.setrlimit(resource.RLIMIT_CPU, (int(cpu_seconds), int(cpu_seconds) + 1))
    try:
        verdict = render(
            path,
            out_prefix,
            first=int(first),
            last=int(last),
            long_edge=int(long_edge),
            max_pages=int(max_pages),
        )
    except Refused as refused:
        verdict = {"ok": False, "code": refused.code, "detail": refused.detail}
    except MemoryError:
        verdict = {"ok": False, "code": "too_big", "detail": "memory"}
    sys.stdout.write(json.dumps(verdict))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
