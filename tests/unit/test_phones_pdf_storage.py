"""Phone normalisation, PDF checks and blob storage."""

from __future__ import annotations

import hashlib
import io
import subprocess
import unicodedata
from pathlib import Path

import pytest

from ecabinet.attendees.phones import normalise_phone
from ecabinet.db import Database
from ecabinet.documents.pdf import inspect_pdf, text_pdf
from ecabinet.documents.service import clean_filename
from ecabinet.documents.storage import Storage
from ecabinet.errors import Invalid, TooLarge
from tests.tools import need


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("0912345678", "+84912345678"),
        ("+84 912 345 678", "+84912345678"),
        ("84912345678", "+84912345678"),
        ("01683456789", "+84383456789"),  # 11-digit mobile renumbered in 2018 (0168 → 038)
        ("024 3825 3536", "+842438253536"),  # Hà Nội landline
        ("", ""),
    ],
)
def test_normalise_phone(raw: str, expected: str) -> None:
    assert normalise_phone(raw) == expected


@pytest.mark.parametrize("raw", ["123", "09123", "abc0912", "0000000000"])
def test_bad_phone_is_invalid(raw: str) -> None:
    with pytest.raises(Invalid) as err:
        normalise_phone(raw)
    assert err.value.field == "phone"


def test_text_pdf_round_trips_vietnamese_through_pdftotext(tmp_path: Path) -> None:
    pdftotext = need("pdftotext", "reads generated PDFs back")
    title = "Nghị quyết Hội nghị Ban Chấp hành Đảng bộ tỉnh"
    body = "Đồng chí Bí thư phát biểu bế mạc: ưu tiên chuyển đổi số, bảo đảm an toàn thông tin."
    path = tmp_path / "doc.pdf"
    path.write_bytes(text_pdf(title, [body, "<font color='red'>chữ thường</font>"]))
    out = subprocess.run(
        [pdftotext, "-enc", "UTF-8", str(path), "-"], capture_output=True, check=True
    )
    text = " ".join(unicodedata.normalize("NFC", out.stdout.decode()).split())  # unwrap lines
    assert title in text
    assert "bảo đảm an toàn thông tin" in text
    assert "<font color='red'>chữ thường</font>" in text  # markup is printed, never interpreted


def test_inspect_pdf_counts_pages(tmp_path: Path) -> None:
    path = tmp_path / "doc.pdf"
    data = text_pdf("Tài liệu", ["Trang một."])
    path.write_bytes(data)
    assert inspect_pdf(path, data[:1024]).page_count == 1


@pytest.mark.parametrize(
    ("content", "code"),
    [
        (b"<html><script>alert(1)</script></html>", "not_a_pdf"),
        (b"%PDF-1.7\n garbage that is not a pdf", "pdf_unreadable"),
    ],
)
def test_inspect_pdf_rejects_non_pdfs(tmp_path: Path, content: bytes, code: str) -> None:
    path = tmp_path / "bad.pdf"
    path.write_bytes(content)
    with pytest.raises(Invalid) as err:
        inspect_pdf(path, content)
    assert err.value.code == code


def test_storage_receive_hashes_and_promotes(tmp_path: Path) -> None:
    store = Storage(tmp_path)
    data = b"%PDF-1.4 hello" * 1000
    blob = store.receive(io.BytesIO(data), max_bytes=1 << 20)
    assert blob.sha256 == hashlib.sha256(data).hexdigest()
    assert store.promote(blob) is True
    assert store.read_bytes(blob.sha256) == data
    again = store.receive(io.BytesIO(data), max_bytes=1 << 20)
    assert store.promote(again) is False  # same bytes: stored once
    assert list(store.tmp.iterdir()) == []


def test_storage_refuses_oversize_and_leaves_nothing(tmp_path: Path) -> None:
    store = Storage(tmp_path)
    with pytest.raises(TooLarge):
        store.receive(io.BytesIO(b"x" * 2048), max_bytes=1024)
    with pytest.raises(Invalid):
        store.receive(io.BytesIO(b""), max_bytes=1024)
    assert list(store.tmp.iterdir()) == []


def test_storage_cleans_partial_uploads_at_start(tmp_path: Path) -> None:
    store = Storage(tmp_path)
    (store.tmp / "upload-deadbeef").write_bytes(b"half")
    assert Storage(tmp_path).clean_temp() == 1


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("../../etc/passwd", "passwd.pdf"),
        ("C:\\Users\\thu ky\\Báo cáo.pdf", "Báo cáo.pdf"),
        ("Ba\u0301o ca\u0301o.PDF", "Báo cáo.PDF"),
        ("tai\x00lieu.pdf", "tailieu.pdf"),
        ("", "tai-lieu.pdf"),
    ],
)
def test_clean_filename(raw: str, expected: str) -> None:
    assert clean_filename(raw) == expected


def _land(storage: Storage, data: bytes) -> str:
    blob = storage.receive(io.BytesIO(data), max_bytes=10_000)
    storage.promote(blob)
    return blob.sha256


def test_start_up_finishes_what_a_crash_interrupted(
    database: Database, storage: Storage, tmp_path: Path
) -> None:
    from ecabinet.documents.upload import recover_interrupted
    from tests.factories import make_document, make_meeting

    meeting = make_meeting(database)
    kept = make_document(database, storage, meeting)  # a row points at it
    orphan = _land(storage, b"%PDF-1.4 landed, then the process died before the commit")
    storage.intend(orphan)
    storage.intend(kept.sha256)
    untouched = _land(storage, b"%PDF-1.4 no intent: not ours to judge")
    assert recover_interrupted(database, storage) == 1
    assert storage.blob_hashes() == {kept.sha256, untouched}
    assert list(storage.intents.iterdir()) == []


def test_intents_of_a_running_process_are_left_alone(storage: Storage) -> None:
    import os

    sha = _land(storage, b"%PDF-1.4 an upload in progress elsewhere")
    marker = storage.intents / f"{sha}.{os.getppid()}.abcd1234"  # the test runner is alive
    marker.touch()
    assert storage.pending_intents() == []
    assert storage.pending_intents(include_live=True) == [(sha, marker)]
    assert storage.others_intend(sha, []) is True
    assert storage.others_intend(sha, [marker]) is False
