"""Reads one uploaded PDF in a child process, under hard limits, and prints a JSON verdict.

Run by `ecabinet.documents.pdf.inspect_pdf` as `python -m ecabinet.documents.pdf_probe`.
A hostile PDF can make a parser loop, recurse or allocate without end; here it can only
exhaust this process, which the parent kills after its time limit. Nothing in this module is
imported by the server itself.

Bounds, each answered with a verdict code:
- nesting of dictionaries and arrays in the file's own syntax (a scan of the raw bytes,
  strings, comments and stream data skipped): `too_deep`;
- the page tree: at most `max_pages` pages, no node visited twice, bounded depth: `too_many_pages`,
  `page_tree`;
- pypdf's warnings: counted, never printed; past `max_warnings` the read stops: `too_many_warnings`;
- CPU seconds and address space (RLIMIT_CPU, RLIMIT_AS): the process dies and the parent
  reports it.
"""

from __future__ import annotations

import json
import logging
import re
import resource
import sys
import warnings
from typing import Any

MAX_TREE_DEPTH = 64
_TOKEN = re.compile(rb"<<|>>|[\[\]()<%]|stream(?:\r\n|\n|\r)")
_STRING_TOKEN = re.compile(rb"[()\\]")
_END_OF_LINE = re.compile(rb"[\r\n]")


class Verdict(BaseException):
    """Ends the read with a code. A BaseException, so no `except Exception` in pypdf eats it."""

    def __init__(self, code: str, detail: str = "") -> None:
        super().__init__(code)
        self.code = code
        self.detail = detail


def nesting_depth(data: bytes, limit: int) -> int:
    """Deepest nesting of << >> and [ ] outside strings, comments and streams; stops at limit."""
    depth = deepest = 0
    pos = 0
    while True:
        match = _TOKEN.search(data, pos)
        if match is None:
            return deepest
        token = match.group()
        pos = match.end()
        if token in (b"<<", b"["):
            depth += 1
            if depth > deepest:
                deepest = depth
                if deepest > limit:
                    return deepest
        elif token in (b">>", b"]"):
            depth = max(0, depth - 1)
        elif token == b"(":
            pos = _skip_string(data, pos)
        elif token == b"<":  # a hex string
            end = data.find(b">", pos)
            pos = len(data) if end < 0 else end + 1
        elif token == b"%":
            line_end = _END_OF_LINE.search(data, pos)
            pos = len(data) if line_end is None else line_end.end()
        else:  # "stream" + end of line: skip the raw data
            end = data.find(b"endstream", pos)
            pos = len(data) if end < 0 else end + len(b"endstream")


def _skip_string(data: bytes, pos: int) -> int:
    """Position after the literal string that starts before `pos` (balanced, \\-escapes)."""
    level = 1
    while level:
        match = _STRING_TOKEN.search(data, pos)
        if match is None:
            return len(data)
        pos = match.end()
        char = match.group()
        if char == b"\\":
            pos += 1
        elif char == b"(":
            level += 1
        else:
            level -= 1
    return pos


class _CountingHandler(logging.Handler):
    def __init__(self, limit: int) -> None:
        super().__init__()
        self.limit = limit
        self.count = 0

    def emit(self, record: logging.LogRecord) -> None:
        self.note()

    def note(self) -> None:
        self.count += 1
        if self.count > self.limit:
            raise Verdict("too_many_warnings", f"more than {self.limit} parser warnings")


def count_pages(reader: Any, max_pages: int) -> int:
    """Walk the page tree ourselves: pypdf's own walk follows repeated nodes (an exponential
    tree of 1 KB) and has no page bound."""
    from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject

    root = reader.trailer["/Root"].get_object()
    top = root.get("/Pages") if isinstance(root, DictionaryObject) else None
    if top is None:
        raise Verdict("page_tree", "no page tree")
    declared = top.get_object().get("/Count")
    if isinstance(declared, int) and declared > max_pages:
        raise Verdict("too_many_pages", str(int(declared)))
    pages = 0
    seen: set[Any] = set()
    stack: list[tuple[Any, int]] = [(top, 0)]
    while stack:
        ref, depth = stack.pop()
        key: Any = (ref.idnum, ref.generation) if isinstance(ref, IndirectObject) else id(ref)
        if key in seen:
            raise Verdict("page_tree", "a page tree node appears twice")
        seen.add(key)
        if depth > MAX_TREE_DEPTH or len(seen) > 2 * max_pages + 1:
            raise Verdict("page_tree", "page tree too deep or too large")
        node = ref.get_object()
        if not isinstance(node, DictionaryObject):
            raise Verdict("page_tree", "page tree node is not a dictionary")
        kids = node.get("/Kids")
        if node.get("/Type") == "/Pages" or kids is not None:
            kids = kids.get_object() if kids is not None else None
            if not isinstance(kids, ArrayObject):
                raise Verdict("page_tree", "page tree node without /Kids")
            stack.extend((kid, depth + 1) for kid in reversed(kids))
        else:
            pages += 1
            if pages > max_pages:
                raise Verdict("too_many_pages", f"more than {max_pages}")
            # Read what a viewer reads first, so a hostile object hiding there (in a
            # compressed object stream, out of reach of the byte scan) is met here.
            for entry in ("/Resources", "/Contents"):
                value = node.get(entry)
                if isinstance(value, IndirectObject):
                    value.get_object()
    return pages


def _caused_by(exc: BaseException, kind: type[BaseException]) -> bool:
    seen: BaseException | None = exc
    for _ in range(20):
        if seen is None:
            return False
        if isinstance(seen, kind):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


THUMBNAIL_BOX = (300, 424)  # pixels: an A4 page fits, any page is bounded both ways


def render_thumbnail(data: bytes, out: str) -> bool:
    """Render the first page as a PNG no larger than THUMBNAIL_BOX (pypdfium2, in this child
    process: pdfium is C and would block the server's hub)."""
    import pypdfium2 as pdfium

    document = pdfium.PdfDocument(data)
    try:
        page = document[0]
        width, height = page.get_size()
        if width <= 0 or height <= 0:
            return False
        scale = min(THUMBNAIL_BOX[0] / width, THUMBNAIL_BOX[1] / height, 4.0)
        image = page.render(scale=scale).to_pil()
        image.save(out, "PNG", optimize=True)
        return True
    finally:
        document.close()


def probe(
    path: str,
    *,
    max_pages: int,
    max_depth: int,
    max_warnings: int,
    thumbnail_to: str | None = None,
) -> dict[str, Any]:
    with open(path, "rb") as handle:
        data = handle.read()
    depth = nesting_depth(data, max_depth)
    if depth > max_depth:
        raise Verdict("too_deep", f"nesting deeper than {max_depth}")
    counter = _CountingHandler(max_warnings)
    pypdf_log = logging.getLogger("pypdf")
    pypdf_log.addHandler(counter)
    pypdf_log.propagate = False
    pypdf_log.setLevel(logging.WARNING)
    with warnings.catch_warnings():
        warnings.simplefilter("always")
        warnings.showwarning = lambda *args, **kwargs: counter.note()
        from io import BytesIO

        from pypdf import PdfReader
        from pypdf.errors import PyPdfError

        try:
            reader = PdfReader(BytesIO(data), strict=False)
            if reader.is_encrypted:
                raise Verdict("encrypted")
            pages = count_pages(reader, max_pages)
        except (PyPdfError, ValueError, KeyError, TypeError, AttributeError, IndexError) as exc:
            if _caused_by(exc, MemoryError):  # pypdf wraps some as "Error reading PDF file"
                raise Verdict("too_big", "memory") from None
            if _caused_by(exc, RecursionError):
                raise Verdict("too_deep", "recursion") from None
            raise Verdict("unreadable", f"{type(exc).__name__}: {exc}"[:200]) from None
        except RecursionError:
            raise Verdict("too_deep", "recursion") from None
        except MemoryError:
            raise Verdict("too_big", "memory") from None
    thumbnail = False
    if thumbnail_to:
        try:
            thumbnail = render_thumbnail(data, thumbnail_to)
        except Exception as exc:  # no thumbnail is not a reason to refuse the document
            counter.count += 1
            sys.stderr.write(f"thumbnail: {type(exc).__name__}: {exc}\n"[:300])
    return {"ok": True, "pages": pages, "warnings": counter.count, "thumbnail": thumbnail}


def main(argv: list[str]) -> int:
    path, max_pages, max_depth, max_warnings, cpu_seconds, memory_mb, *rest = argv
    memory = int(memory_mb) * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    resource.setrlimit(resource.RLIMIT_CPU, (int(cpu_seconds), int(cpu_seconds) + 1))
    try:
        verdict = probe(
            path,
            max_pages=int(max_pages),
            max_depth=int(max_depth),
            max_warnings=int(max_warnings),
            thumbnail_to=rest[0] if rest else None,
        )
    except Verdict as refused:
        verdict = {"ok": False, "code": refused.code, "detail": refused.detail}
    except MemoryError:
        verdict = {"ok": False, "code": "too_big", "detail": "memory"}
    sys.stdout.write(json.dumps(verdict))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
