"""Crafted PDFs of the kinds that have hurt PDF parsers (pypdf's 2026 advisories, and an
outside attack on this server): huge and exponential page trees, cycles, deep nesting, in plain
and in compressed object streams. Used by the upload tests and bench/upload_stall.py."""

from __future__ import annotations

import zlib
from collections.abc import Callable

Body = bytes


def build_pdf(objects: list[Body], *, root: int = 1) -> bytes:
    """A classic PDF (header, objects 1..n, xref table, trailer) around `objects`."""
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<< /Size %d /Root %d 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        root,
        xref,
    )
    return bytes(out)


def many_pages(pages: int = 20_000, *, honest_count: bool = True, pad: int = 300) -> bytes:
    """One flat /Kids array of `pages` pages: 20,000 pages make about 8 MB."""
    kids = b" ".join(b"%d 0 R" % (n + 3) for n in range(pages))
    count = pages if honest_count else 1
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [" + kids + b"] /Count %d >>" % count,
    ]
    filler = b"/Padding (" + b"x" * pad + b")"
    objects += [b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] " + filler + b" >>"] * pages
    return build_pdf(objects)


def exponential_tree(depth: int = 40, *, honest_count: bool = True) -> bytes:
    """Each node lists the next one twice: 2**depth pages from about 1 KB."""
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>"]
    for level in range(depth):
        number = level + 2
        count = 2 ** (depth - level) if honest_count else 1
        objects.append(
            b"<< /Type /Pages /Kids [%d 0 R %d 0 R] /Count %d >>" % (number + 1, number + 1, count)
        )
    objects.append(b"<< /Type /Page /Parent %d 0 R /MediaBox [0 0 595 842] >>" % (depth + 1))
    return build_pdf(objects)


def page_tree_cycle() -> bytes:
    """A /Pages node whose kid is its own parent."""
    return build_pdf(
        [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Pages /Parent 2 0 R /Kids [2 0 R] /Count 1 >>",
        ]
    )


def _nested(depth: int) -> bytes:
    return b"<< /A " * depth + b"1" + b" >>" * depth


def nested_dictionaries(depth: int = 100_000) -> bytes:
    """The page's /Resources is 100,000 dictionaries deep (about 900 KB)."""
    return build_pdf(
        [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources "
            + _nested(depth)
            + b" >>",
        ]
    )


def nested_in_object_stream(depth: int = 100_000) -> bytes:
    """The same nesting, compressed inside an object stream, where a byte scan cannot see it."""
    inner = _nested(depth)
    header = b"4 0 "
    stream = header + inner
    packed = zlib.compress(stream)
    objstm = (
        b"<< /Type /ObjStm /N 1 /First %d /Filter /FlateDecode /Length %d >>\nstream\n"
        % (len(header), len(packed))
        + packed
        + b"\nendstream"
    )
    body = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources 4 0 R >>",
    ]
    # A cross-reference stream is needed to point object 4 into the object stream.
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, obj in enumerate(body, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + obj + b"\nendobj\n"
    objstm_offset = len(out)
    out += b"5 0 obj\n" + objstm + b"\nendobj\n"
    xref_offset = len(out)
    rows = [b"\x00\x00\x00\x00\xff\xff"]  # object 0: free
    rows += [b"\x01" + off.to_bytes(4, "big") + b"\x00" for off in offsets]  # 1..3 in file
    rows += [b"\x02" + (5).to_bytes(4, "big") + b"\x00"]  # 4: object stream 5, index 0
    rows += [b"\x01" + objstm_offset.to_bytes(4, "big") + b"\x00"]  # 5 in file
    rows += [b"\x01" + xref_offset.to_bytes(4, "big") + b"\x00"]  # 6: this xref stream
    data = b"".join(rows)
    out += (
        b"6 0 obj\n<< /Type /XRef /Size 7 /W [1 4 1] /Root 1 0 R /Length %d >>\nstream\n"
        % len(data)
        + data
        + b"\nendstream\nendobj\n"
    )
    out += b"startxref\n%d\n%%%%EOF\n" % xref_offset
    return bytes(out)


# name -> (builder, what it did to the server before the bounded check)
HOSTILE: dict[str, Callable[[], bytes]] = {
    "20k-pages": many_pages,
    "20k-pages-count-lies": lambda: many_pages(honest_count=False),
    "exponential-tree": exponential_tree,
    "exponential-tree-count-lies": lambda: exponential_tree(honest_count=False),
    "page-tree-cycle": page_tree_cycle,
    "nested-100k": nested_dictionaries,
    "nested-100k-in-object-stream": nested_in_object_stream,
}
