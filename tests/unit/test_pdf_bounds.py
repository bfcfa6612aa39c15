"""The bounded PDF check: crafted files are refused with pdf_too_complex, quietly, quickly,
and whatever they do happens in a child process that is killed at its limits."""

from __future__ import annotations

import logging
import time
from pathlib import Path

import pytest

from ecabinet.documents.pdf import PdfLimits, inspect_pdf, text_pdf
from ecabinet.documents.pdf_probe import nesting_depth
from ecabinet.errors import Invalid
from tests.hostile_pdfs import HOSTILE, many_pages


def check(tmp_path: Path, data: bytes, limits: PdfLimits | None = None) -> int:
    path = tmp_path / "upload.pdf"
    path.write_bytes(data)
    return inspect_pdf(path, data[:1024], limits).page_count


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_crafted_pdfs_are_refused_as_too_complex(
    tmp_path: Path, name: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    started = time.monotonic()
    with pytest.raises(Invalid) as refused:
        check(tmp_path, HOSTILE[name]())
    assert refused.value.code == "pdf_too_complex"
    assert refused.value.field == "file"
    # pypdf's warnings are counted in the child, never logged line by line here.
    assert not [r for r in caplog.records if r.name.startswith("pypdf")]
    assert len(caplog.records) <= 3
    assert time.monotonic() - started < 15  # far below the 20 s limit; pypdf alone took longer


def test_an_ordinary_pdf_passes_with_its_page_count(tmp_path: Path) -> None:
    data = text_pdf("Báo cáo chính trị", ["Nội dung đoạn văn dài."] * 300)
    assert check(tmp_path, data) > 5


def test_a_pdf_at_the_page_bound_passes_and_one_over_is_refused(tmp_path: Path) -> None:
    limits = PdfLimits(max_pages=50)
    assert check(tmp_path, many_pages(50, pad=10), limits) == 50
    with pytest.raises(Invalid) as refused:
        check(tmp_path, many_pages(51, pad=10, honest_count=False), limits)
    assert refused.value.code == "pdf_too_complex"
    assert "tối đa 50" in refused.value.message


def test_the_wall_clock_bound_kills_a_slow_check(tmp_path: Path) -> None:
    """With the page bound lifted, reading 20,000 pages takes seconds: the child is killed."""
    limits = PdfLimits(max_pages=100_000, seconds=0.3)
    started = time.monotonic()
    with pytest.raises(Invalid) as refused:
        check(tmp_path, many_pages(20_000), limits)
    assert refused.value.code == "pdf_too_complex"
    assert time.monotonic() - started < 3


def test_the_memory_bound_ends_a_greedy_check(tmp_path: Path) -> None:
    limits = PdfLimits(max_pages=100_000, memory_mb=40)
    with pytest.raises(Invalid) as refused:
        check(tmp_path, many_pages(20_000), limits)
    assert refused.value.code == "pdf_too_complex"


@pytest.mark.parametrize(
    ("data", "depth"),
    [
        (b"<< /A << /B [1 [2 [3]]] >> >>", 5),
        (b"<< /T (a string with << [ ( nested ) and \\) escapes) >>", 1),
        (b"<< /H <3c3c3c> >> % comment << << <<\n", 1),
        (b"<< /Length 6 >>\nstream\n<<<<<<\nendstream", 1),
    ],
)
def test_nesting_is_measured_outside_strings_comments_and_streams(data: bytes, depth: int) -> None:
    assert nesting_depth(data, 100) == depth
