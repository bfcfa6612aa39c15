"""Word and Excel documents: told from PDFs by their bytes, checked in the job, stored and
downloadable as they are, and converted to PDF for tablets only when LibreOffice is
configured (the real soffice here, as in CI)."""

from __future__ import annotations

import hashlib
import io
import os
import subprocess
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from ecabinet.config import ConfigError
from ecabinet.db import Database
from ecabinet.documents import office
from ecabinet.documents.models import Document
from ecabinet.documents.storage import Storage
from ecabinet.errors import Invalid
from ecabinet.live.state import snapshot
from tests.conftest import Login, app_config, run_jobs
from tests.factories import make_meeting, make_token, sample_pdf
from tests.tools import need

DOCX_TYPES = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
    'relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-'
    'officedocument.wordprocessingml.document.main+xml"/></Types>'
)
DOCX_RELS = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/officeDocument" Target="word/document.xml"/></Relationships>'
)


def docx(text: str) -> bytes:
    """A minimal Word document, as Word itself reads it."""
    body = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
        f"<w:body><w:p><w:r><w:t>{text}</w:t></w:r></w:p></w:body></w:document>"
    )
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", DOCX_TYPES)
        archive.writestr("_rels/.rels", DOCX_RELS)
        archive.writestr("word/document.xml", body)
    return out.getvalue()


def xlsx(rows: list[list[str]]) -> bytes:
    from openpyxl import Workbook  # type: ignore[import-untyped]

    book = Workbook()
    for row in rows:
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


@pytest.mark.parametrize(
    ("data", "name", "expected"),
    [
        (sample_pdf(), "bao-cao.pdf", office.PDF),
        (sample_pdf(), "nham-ten.docx", office.PDF),  # the bytes decide, not the name
        (docx("Tờ trình"), "to-trinh.docx", office.DOCX),
        (xlsx([["Họ tên"]]), "danh-sach.XLSX", office.XLSX),
    ],
)
def test_what_an_upload_is_stored_as(data: bytes, name: str, expected: str) -> None:
    assert office.kind_of(data[:1024], name) == expected


@pytest.mark.parametrize(
    ("data", "name", "code"),
    [
        (docx("x"), "to-trinh.pdf", "not_a_pdf"),
        (b"hello", "to-trinh.docx", "not_an_office_file"),
        (bytes.fromhex("D0CF11E0A1B11AE1") + b"\0" * 100, "bang.xlsx", "office_encrypted"),
        (b"\xd0\xcf\x11\xe0old", "cu.doc", "unsupported_file"),
    ],
)
def test_other_files_get_a_clear_reason(data: bytes, name: str, code: str) -> None:
    with pytest.raises(Invalid) as refused:
        office.kind_of(data, name)
    assert refused.value.code == code
    assert refused.value.field == "file"


def test_the_job_refuses_broken_and_bomb_office_files(tmp_path: Path) -> None:
    broken = tmp_path / "broken.docx"
    broken.write_bytes(b"PK\x03\x04" + b"\x00" * 200)
    missing_part = tmp_path / "missing.docx"
    with zipfile.ZipFile(missing_part, "w") as archive:
        archive.writestr("[Content_Types].xml", DOCX_TYPES)
    bomb = tmp_path / "bomb.xlsx"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", DOCX_TYPES)
        archive.writestr("xl/workbook.xml", b"\0" * (40 * 1024 * 1024))
    for path, content_type, code in (
        (broken, office.DOCX, "office_unreadable"),
        (missing_part, office.DOCX, "office_unreadable"),
        (bomb, office.XLSX, "office_too_large"),
    ):
        with pytest.raises(Invalid) as refused:
            office.check_office(path, content_type)
        assert refused.value.code == code, path.name


def upload(client: FlaskClient, csrf: str, meeting_id: int, data: bytes, name: str) -> int:
    response = client.post(
        f"/api/v1/meetings/{meeting_id}/documents",
        data={"file": (io.BytesIO(data), name)},
        content_type="multipart/form-data",
        headers={"X-CSRFToken": csrf},
    )
    assert response.status_code == 201, response.json
    document_id: int = response.json["id"]
    return document_id


def get(client: FlaskClient, url: str) -> tuple[int, str, str, bytes]:
    response = client.get(url)
    answer = (
        response.status_code,
        response.headers["Content-Type"],
        response.headers.get("Content-Disposition", ""),
        response.data,
    )
    response.close()
    return answer


def viewable(database: Database, meeting_id: int) -> list[tuple[str, bool]]:
    with database.unit_of_work(write=False) as session:
        state = snapshot(session, meeting_id)
    assert state is not None
    return [(d.state["kind"], d.state["viewable"]) for d in state.documents]


def test_without_a_converter_word_files_are_stored_and_downloaded_as_they_are(
    app: Flask, client: FlaskClient, login: Login, app_db: Database, app_storage: Storage
) -> None:
    meeting = make_meeting(app_db)
    csrf = login.as_staff(meeting.secretary)
    original = docx("Tờ trình về kế hoạch năm 2027")
    document_id = upload(client, csrf, meeting.id, original, "Tờ trình.docx")
    run_jobs(app)
    with app_db.unit_of_work(write=False) as session:
        document = session.get(Document, document_id)
        assert document is not None
        assert (document.status, document.content_type, document.filename) == (
            "ready",
            office.DOCX,
            "Tờ trình.docx",
        )
        assert document.pdf_sha256 == ""
    assert viewable(app_db, meeting.id) == [("docx", False)]
    tablet = client.application.test_client()
    tablet.get(f"/p/{make_token(app_db, meeting)}")
    status, content_type, disposition, body = get(tablet, f"/documents/{document_id}/file")
    assert (status, content_type) == (200, office.DOCX)
    assert disposition.startswith("attachment")
    assert body == original
    page = client.get(f"/meetings/{meeting.id}").get_data(as_text=True)
    assert "đại biểu tải tệp về để mở" in page


@pytest.fixture
def converting_app(db_url: str, tmp_path: Path) -> Iterator[Flask]:
    from ecabinet.app import create_app

    soffice = need("soffice", "converts Word / Excel uploads to PDF")
    application = create_app(app_config(db_url, tmp_path, OFFICE_CONVERTER=soffice))
    yield application
    application.extensions["ecabinet.live"].close()


def test_with_libreoffice_tablets_read_the_converted_pdf(
    converting_app: Flask, tmp_path: Path
) -> None:
    pdftotext = need("pdftotext", "reads the converted PDF back")
    database: Database = converting_app.extensions["ecabinet.db"]
    storage: Storage = converting_app.extensions["ecabinet.storage"]
    client = converting_app.test_client()
    meeting = make_meeting(database)
    csrf = Login(client).as_staff(meeting.secretary)
    original = xlsx([["Họ và tên", "Đơn vị"], ["Nguyễn Văn An", "Xã Tân Lập"]])
    document_id = upload(client, csrf, meeting.id, original, "Danh sách.xlsx")
    run_jobs(converting_app)
    with database.unit_of_work(write=False) as session:
        document = session.get(Document, document_id)
        assert document is not None
        assert document.status == "ready"
        assert document.page_count >= 1
        assert document.has_thumbnail
        pdf_sha = document.pdf_sha256
    assert pdf_sha
    assert viewable(database, meeting.id) == [("xlsx", True)]

    status, content_type, disposition, body = get(client, f"/documents/{document_id}/file")
    assert (status, content_type) == (200, office.PDF)
    assert hashlib.sha256(body).hexdigest() == pdf_sha
    assert "Danh s" in disposition
    converted = tmp_path / "converted.pdf"
    converted.write_bytes(body)
    text = subprocess.run(
        [pdftotext, "-enc", "UTF-8", str(converted), "-"], capture_output=True, check=True
    ).stdout.decode()
    assert "Nguyễn" in text
    assert "Tân Lập" in text
    status, content_type, _disposition, body = get(
        client, f"/documents/{document_id}/file?original=1"
    )
    assert (status, content_type, body) == (200, office.XLSX, original)

    assert (
        client.delete(f"/api/v1/documents/{document_id}", headers={"X-CSRFToken": csrf}).status_code
        == 204
    )
    assert not storage.path_for(pdf_sha).exists()
    assert not storage.path_for(hashlib.sha256(original).hexdigest()).exists()


def test_a_failing_converter_leaves_the_file_downloadable(db_url: str, tmp_path: Path) -> None:
    from ecabinet.app import create_app

    application = create_app(app_config(db_url, tmp_path, OFFICE_CONVERTER="false"))
    try:
        database: Database = application.extensions["ecabinet.db"]
        client = application.test_client()
        meeting = make_meeting(database)
        csrf = Login(client).as_staff(meeting.secretary)
        document_id = upload(client, csrf, meeting.id, docx("Báo cáo"), "bao-cao.docx")
        run_jobs(application)
        with database.unit_of_work(write=False) as session:
            document = session.get(Document, document_id)
            assert document is not None
            assert (document.status, document.pdf_sha256) == ("ready", "")
    finally:
        application.extensions["ecabinet.live"].close()


def test_a_converter_that_is_not_there_is_named_at_start_up(db_url: str, tmp_path: Path) -> None:
    from ecabinet.app import create_app

    with pytest.raises(ConfigError, match="ECABINET_OFFICE_CONVERTER"):
        create_app(app_config(db_url, tmp_path, OFFICE_CONVERTER="/opt/khong-co/soffice"))


def test_a_converter_that_runs_out_of_time_is_killed_with_its_children(tmp_path: Path) -> None:
    """soffice starts soffice.bin as a child: a timeout must end both, not only the script.
    A stand-in converter that hangs the same way (a child that outlives the script)."""
    pid_file = tmp_path / "child.pid"
    hanging = tmp_path / "soffice"
    hanging.write_text(f"#!/bin/sh\nsleep 300 &\necho $! > {pid_file}\nwait\n")
    hanging.chmod(0o755)
    source = tmp_path / "to-trinh.docx"
    source.write_bytes(docx("Tờ trình"))
    settings = office.OfficeSettings(converter=str(hanging), seconds=1)
    assert not office.convert_to_pdf(source, office.DOCX, settings, tmp_path / "out.pdf")
    child = int(pid_file.read_text())
    for _ in range(50):
        try:
            os.kill(child, 0)
        except ProcessLookupError:
            break
        time.sleep(0.05)
    else:
        pytest.fail(f"the converter's child {child} is still running")
    assert not (tmp_path / "out.pdf").exists()


def test_a_document_deleted_while_converting_leaves_no_file(
    app: Flask,
    client: FlaskClient,
    login: Login,
    app_db: Database,
    app_storage: Storage,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from ecabinet.documents.office import OfficeSettings
    from ecabinet.documents.pdf import PdfLimits
    from ecabinet.documents.processing import inspect_document
    from ecabinet.documents.upload import delete_document

    meeting = make_meeting(app_db)
    csrf = login.as_staff(meeting.secretary)
    document_id = upload(client, csrf, meeting.id, docx("Tờ trình"), "to-trinh.docx")

    def convert_while_deleted(path: Path, content_type: str, settings: object, into: Path) -> bool:
        # The secretary deletes the document while LibreOffice works on it.
        delete_document(app_db, app_storage, actor=meeting.secretary.actor, document_id=document_id)
        into.write_bytes(sample_pdf("Bản chuyển đổi"))
        return True

    monkeypatch.setattr(office, "convert_to_pdf", convert_while_deleted)
    status = inspect_document(
        app_db,
        app_storage,
        document_id=document_id,
        limits=PdfLimits(),
        office_settings=OfficeSettings(converter="soffice"),
    )
    assert status is None
    assert app_storage.blob_hashes() == set()  # neither the original nor the conversion
    assert list(app_storage.root.glob("thumbs/*/*.png")) == []
    assert app_storage.pending_intents(include_live=True) == []


def test_a_conversion_must_end_inside_the_job_lease(db_url: str, tmp_path: Path) -> None:
    from ecabinet.app import create_app

    with pytest.raises(ConfigError, match="ECABINET_JOB_LEASE_SECONDS"):
        create_app(
            app_config(
                db_url,
                tmp_path,
                OFFICE_CONVERTER="true",
                OFFICE_CONVERT_SECONDS=300,
                JOB_LEASE_SECONDS=120,
            )
        )
