"""Server-rendered page images, the viewer of tablets too old for pdf.js: one render per PDF
(a delegate's own stamped copy for a Mật document), sealed, served by immutable URLs with the
file route's access rules; broken PDFs and crashes mid-render leave nothing served."""

from __future__ import annotations

import io
import re
import subprocess
import time
import zlib
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from PIL import Image
from reportlab.lib.pagesizes import A4, A5, landscape
from reportlab.pdfgen.canvas import Canvas
from sqlmodel import col, select, update

from ecabinet import sealing
from ecabinet.db import Database
from ecabinet.documents import pages, service
from ecabinet.documents.models import Audience, Document, DocumentAccess, StampedCopy
from ecabinet.documents.pdf import PdfLimits
from ecabinet.documents.processing import inspect_document
from ecabinet.documents.storage import Storage
from ecabinet.documents.upload import upload_document, upload_revision
from ecabinet.documents.watermark import copy_dir
from ecabinet.jobs.models import Job, JobState
from ecabinet.meetings.models import Meeting
from ecabinet.timeutil import utcnow
from tests import hostile_pdfs
from tests.conftest import Login, app_config, run_jobs
from tests.factories import MeetingFixture, make_attendee, make_meeting, make_token
from tests.tools import worker_process

SIZES = [A4, landscape(A4), A5]  # portrait, landscape, smaller: each long edge is 1600 px


def three_pages(label: str = "Báo cáo") -> bytes:
    """Three pages of three sizes; the middle one has a black square at its centre."""
    out = io.BytesIO()
    canvas = Canvas(out)
    for number, size in enumerate(SIZES, start=1):
        canvas.setPageSize(size)
        canvas.setFont("Helvetica", 28)
        canvas.drawString(40, size[1] - 80, f"{label} - trang {number}")
        if number == 2:
            canvas.rect(size[0] / 2 - 60, size[1] / 2 - 60, 120, 120, stroke=0, fill=1)
        canvas.showPage()
    canvas.save()
    return out.getvalue()


def add_document(
    database: Database,
    storage: Storage,
    meeting: MeetingFixture,
    pdf: bytes,
    *,
    inspect: bool = True,
    filename: str = "bao-cao.pdf",
) -> int:
    uploaded = upload_document(
        database,
        storage,
        actor=meeting.secretary.actor,
        meeting_id=meeting.id,
        stream=io.BytesIO(pdf),
        filename=filename,
        max_bytes=10 * 1024 * 1024,
    )
    if inspect:
        inspect_document(database, storage, document_id=uploaded.id, limits=PdfLimits())
    return uploaded.id


def tablet(app: Flask, database: Database, meeting: MeetingFixture, name: str) -> FlaskClient:
    return tablet_of(app, database, meeting, make_attendee(database, meeting, name=name))


def tablet_of(
    app: Flask, database: Database, meeting: MeetingFixture, attendee: int
) -> FlaskClient:
    client = app.test_client()
    assert client.get(f"/p/{make_token(database, meeting, attendee)}").status_code == 302
    return client


def secret_meeting(database: Database, meeting: MeetingFixture) -> None:
    with database.unit_of_work() as session:
        row = session.get(Meeting, meeting.id)
        assert row is not None
        row.confidentiality = "mat"


def stored_sha256(database: Database, document_id: int) -> str:
    with database.unit_of_work(write=False) as session:
        document = session.get(Document, document_id)
        assert document is not None
        return document.sha256


def render_jobs(database: Database) -> list[str]:
    with database.unit_of_work(write=False) as session:
        return list(session.exec(select(Job.state).where(Job.kind == pages.RENDER_JOB)))


def fetch(client: FlaskClient, url: str, **kwargs: Any) -> Any:
    response = client.get(url, **kwargs)
    response.get_data()  # read it all, then close the stored file's stream (send_stored)
    response.close()
    return response


def decode(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def test_pages_are_rendered_once_sealed_and_cached_for_good(
    app: Flask,
    client: FlaskClient,
    login: Login,
    app_db: Database,
    app_storage: Storage,
    meeting: MeetingFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(pages, "BATCH_PAGES", 2)  # three pages: two child processes
    batches: list[int] = []
    render_batch = pages._render_batch

    def counted(plain: Path, prefix: Path, first: int, last: int, limits: PdfLimits) -> Any:
        batches.append(first)
        return render_batch(plain, prefix, first, last, limits)

    monkeypatch.setattr(pages, "_render_batch", counted)
    document_id = add_document(app_db, app_storage, meeting, three_pages())
    run_jobs(app)  # the upload's inspection job (checked above already): nothing is queued
    reader = tablet(app, app_db, meeting, "Trần Thị Mai")
    url = f"/api/v1/documents/{document_id}/pages"
    first = reader.get(url)
    assert first.status_code == 202
    assert first.json == {"status": "rendering", "page_count": 3}
    login.as_staff(meeting.secretary)
    assert client.get(url).status_code == 202  # staff read the same PDF: the same job
    assert reader.get(url).status_code == 202
    assert render_jobs(app_db) == [JobState.QUEUED]
    assert run_jobs(app) == 1
    assert render_jobs(app_db) == [JobState.DONE]
    assert batches == [1, 3]  # pages 1-2, then 3

    ready = reader.get(url)
    assert ready.status_code == 200
    body = ready.json
    sha256 = stored_sha256(app_db, document_id)
    assert (body["status"], body["sha256"], body["page_count"]) == ("ready", sha256, 3)
    assert [p["number"] for p in body["pages"]] == [1, 2, 3]
    for page, size in zip(body["pages"], SIZES, strict=True):
        assert page["url"] == f"/documents/{document_id}/pages/{sha256}/{page['number']}"
        response = fetch(reader, page["url"])
        assert response.status_code == 200
        assert response.mimetype == "image/webp"
        assert re.fullmatch(r"private, max-age=\d+, immutable", response.headers["Cache-Control"])
        assert "Cookie" not in response.headers.get("Vary", "")  # kept across cookie refreshes
        image = decode(response.data)
        assert image.format == "WEBP"
        assert image.size == (page["width"], page["height"])
        assert max(image.size) == 1600
        assert abs(image.size[0] / image.size[1] - size[0] / size[1]) < 0.01
        if page["number"] == 2:  # what the page shows: its black square, on white
            gray = image.convert("L")
            assert gray.getpixel((image.width // 2, image.height // 2)) == 0
            assert gray.getpixel((image.width // 2, image.height - 20)) == 255
    # Sealed at rest like every stored file: no image header on disk.
    stored = app_storage.pages_dir(sha256) / "1.webp"
    assert sealing.is_sealed(stored)
    assert b"WEBP" not in stored.read_bytes()[:64]
    # One URL, one picture: conditional and ranged requests work on it.
    page_url = body["pages"][0]["url"]
    whole = fetch(reader, page_url)
    assert (
        fetch(reader, page_url, headers={"If-None-Match": whole.headers["ETag"]}).status_code == 304
    )
    ranged = fetch(reader, page_url, headers={"Range": "bytes=0-99"})
    assert (ranged.status_code, ranged.data) == (206, whole.data[:100])
    # Asked again, by anyone: no new job, nothing rendered twice.
    assert client.get(url).json["sha256"] == sha256
    assert run_jobs(app) == 0
    assert render_jobs(app_db) == [JobState.DONE]
    assert batches == [1, 3]


def test_a_delegate_reads_the_pages_of_their_own_stamped_copy_and_no_one_elses(
    app: Flask,
    client: FlaskClient,
    login: Login,
    app_db: Database,
    app_storage: Storage,
    meeting: MeetingFixture,
) -> None:
    document_id = add_document(app_db, app_storage, meeting, three_pages("Phương án nhân sự"))
    run_jobs(app)
    secret_meeting(app_db, meeting)
    mai = make_attendee(app_db, meeting, name="Trần Thị Mai")
    vinh = make_attendee(app_db, meeting, name="Lê Quang Vinh")
    readers = {
        mai: tablet_of(app, app_db, meeting, mai),
        vinh: tablet_of(app, app_db, meeting, vinh),
    }
    url = f"/api/v1/documents/{document_id}/pages"
    for reader in readers.values():
        assert reader.get(url).status_code == 202
    assert run_jobs(app) == 2  # one render per stamped copy
    bodies = {who: reader.get(url).json for who, reader in readers.items()}
    with app_db.unit_of_work(write=False) as session:
        copies = {c.attendee_id: c.sha256 for c in session.exec(select(StampedCopy)).all()}
    assert {who: body["sha256"] for who, body in bodies.items()} == copies
    images = {}
    for who, reader in readers.items():
        response = fetch(reader, bodies[who]["pages"][1]["url"])
        assert response.status_code == 200
        assert response.headers["Cache-Control"] == "private, no-store"  # kept nowhere
        images[who] = decode(response.data)
    assert images[mai].size == images[vinh].size
    assert images[mai].tobytes() != images[vinh].tobytes()  # each names its holder
    # Neither may read the other's pages, even knowing the URL.
    assert fetch(readers[mai], bodies[vinh]["pages"][0]["url"]).status_code == 404
    assert fetch(readers[vinh], bodies[mai]["pages"][0]["url"]).status_code == 404
    # The unstamped original was never rendered for them; staff get its pages, delegates not.
    assert not app_storage.pages_dir(stored_sha256(app_db, document_id)).exists()
    login.as_staff(meeting.secretary)
    assert client.get(url).status_code == 202
    assert run_jobs(app) == 1
    staff = client.get(url).json
    assert staff["sha256"] == stored_sha256(app_db, document_id)
    staff_page = fetch(client, staff["pages"][1]["url"])
    assert staff_page.headers["Cache-Control"] == "private, no-store"
    assert decode(staff_page.data).tobytes() != images[mai].tobytes()
    assert fetch(readers[mai], staff["pages"][0]["url"]).status_code == 404
    # Every viewing of a secret document's pages is recorded, per viewer.
    with app_db.unit_of_work(write=False) as session:
        viewings = session.exec(
            select(DocumentAccess.attendee_id, DocumentAccess.user_id).where(
                DocumentAccess.via == "pages"
            )
        ).all()
    assert set(viewings) == {(mai, None), (vinh, None), (None, meeting.secretary.id)}
    # Deleted with the document: the delegates' copies and their pages.
    csrf = login.as_staff(meeting.secretary)
    deleted = client.delete(f"/api/v1/documents/{document_id}", headers={"X-CSRFToken": csrf})
    assert deleted.status_code == 204
    assert not copy_dir(app_storage, document_id).exists()


def test_a_document_not_for_a_delegate_has_no_pages_for_them(
    app: Flask, app_db: Database, app_storage: Storage, meeting: MeetingFixture
) -> None:
    document_id = add_document(app_db, app_storage, meeting, three_pages())
    chosen = make_attendee(app_db, meeting, name="Phan Văn Khải")
    with app_db.unit_of_work() as session:
        service.set_audience(
            session,
            actor=meeting.secretary.actor,
            document_id=document_id,
            audience=Audience.CHOSEN,
            attendee_ids=[chosen],
        )
    reader = tablet_of(app, app_db, meeting, chosen)
    other = tablet(app, app_db, meeting, "Võ Thị Sáu")
    url = f"/api/v1/documents/{document_id}/pages"
    assert reader.get(url).status_code == 202
    run_jobs(app)
    page_url = reader.get(url).json["pages"][0]["url"]
    assert fetch(reader, page_url).status_code == 200
    refused = other.get(url)
    assert (refused.status_code, refused.json["error"]["code"]) == (404, "document_not_found")
    assert fetch(other, page_url).status_code == 404
    outsider = make_meeting(app_db)  # a delegate of another meeting
    stranger = app.test_client()
    assert stranger.get(f"/p/{make_token(app_db, outsider)}").status_code == 302
    assert fetch(stranger, page_url).status_code == 404
    assert stranger.get(url).status_code == 404


def test_a_new_revision_has_new_pages_and_the_old_ones_are_not_served_for_it(
    app: Flask, app_db: Database, app_storage: Storage, meeting: MeetingFixture
) -> None:
    document_id = add_document(app_db, app_storage, meeting, three_pages("Bản một"))
    reader = tablet(app, app_db, meeting, "Đinh Công Tráng")
    url = f"/api/v1/documents/{document_id}/pages"
    reader.get(url)
    run_jobs(app)
    old = reader.get(url).json
    revision = upload_revision(
        app_db,
        app_storage,
        actor=meeting.secretary.actor,
        document_id=document_id,
        stream=io.BytesIO(three_pages("Bản hai")),
        filename="bao-cao.pdf",
        max_bytes=10 * 1024 * 1024,
    )
    inspect_document(
        app_db, app_storage, document_id=document_id, revision_id=revision.id, limits=PdfLimits()
    )
    assert fetch(reader, old["pages"][0]["url"]).status_code == 404
    assert reader.get(url).status_code == 202  # the new revision's own render
    run_jobs(app)
    new = reader.get(url).json
    assert new["sha256"] != old["sha256"]
    assert fetch(reader, new["pages"][0]["url"]).status_code == 200
    for wrong in (f"{'0' * 64}/1", "not-a-sha256/1", f"{new['sha256']}/4", f"{new['sha256']}/0"):
        assert fetch(reader, f"/documents/{document_id}/pages/{wrong}").status_code == 404


def test_deleted_pages_go_with_their_blob_and_the_same_file_again_is_rendered_again(
    app: Flask,
    client: FlaskClient,
    login: Login,
    app_db: Database,
    app_storage: Storage,
    meeting: MeetingFixture,
) -> None:
    pdf = three_pages()
    document_id = add_document(app_db, app_storage, meeting, pdf)
    csrf = login.as_staff(meeting.secretary)
    client.get(f"/api/v1/documents/{document_id}/pages")
    run_jobs(app)
    sha256 = client.get(f"/api/v1/documents/{document_id}/pages").json["sha256"]
    assert app_storage.pages_dir(sha256).is_dir()
    client.delete(f"/api/v1/documents/{document_id}", headers={"X-CSRFToken": csrf})
    assert not app_storage.pages_dir(sha256).exists()
    again = add_document(app_db, app_storage, meeting, pdf)  # the same bytes, the same sha256
    assert client.get(f"/api/v1/documents/{again}/pages").status_code == 202
    assert render_jobs(app_db) == [JobState.QUEUED]  # the job done once, queued again
    run_jobs(app)
    assert client.get(f"/api/v1/documents/{again}/pages").json["sha256"] == sha256


def test_a_pdf_that_cannot_be_rendered_gets_a_clear_error_not_a_retry_loop(
    app: Flask,
    client: FlaskClient,
    login: Login,
    app_db: Database,
    app_storage: Storage,
    meeting: MeetingFixture,
) -> None:
    document_id = add_document(app_db, app_storage, meeting, three_pages())
    run_jobs(app)
    login.as_staff(meeting.secretary)
    url = f"/api/v1/documents/{document_id}/pages"
    assert client.get(url).status_code == 202
    # The stored file breaks (a bad disk) after the check passed it, before the render.
    broken = b"%PDF-1.7\n" + b"\x00garbage" * 500
    app_storage.write(app_storage.path_for(stored_sha256(app_db, document_id)), broken)
    assert run_jobs(app) == 1
    refused = client.get(url)
    assert refused.status_code == 422
    assert refused.json["error"]["code"] == "pages_failed"
    assert "không dựng được" in refused.json["error"]["message"]
    assert render_jobs(app_db) == [JobState.FAILED]  # asked again: not tried again
    assert run_jobs(app) == 0


def test_documents_without_pages_say_why(
    app: Flask,
    client: FlaskClient,
    login: Login,
    app_db: Database,
    app_storage: Storage,
    meeting: MeetingFixture,
) -> None:
    from tests.unit.test_office_documents import docx

    rejected = add_document(app_db, app_storage, meeting, hostile_pdfs.page_tree_cycle())
    processing = add_document(app_db, app_storage, meeting, three_pages(), inspect=False)
    word = add_document(app_db, app_storage, meeting, docx("Tờ trình"), filename="to-trinh.docx")
    login.as_staff(meeting.secretary)
    for document_id, status, code in (
        (rejected, 422, "document_rejected"),
        (processing, 409, "document_processing"),
        (word, 422, "document_not_pdf"),
    ):
        response = client.get(f"/api/v1/documents/{document_id}/pages")
        assert (response.status_code, response.json["error"]["code"]) == (status, code)
        assert response.json["error"]["message"]
    assert render_jobs(app_db) == []


def test_a_page_built_to_be_slow_is_cut_off_within_its_bounds(storage: Storage) -> None:
    content = zlib.compress(b"0 0 m 300 400 l 10 700 l S\n" * 400_000)
    pdf = hostile_pdfs.build_pdf(
        [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R >>",
            b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(content)
            + content
            + b"\nendstream",
        ]
    )
    blob = storage.receive(io.BytesIO(pdf), max_bytes=len(pdf) + 1)
    storage.promote(blob)
    source = pages.PageSource(blob.sha256, 1)
    started = time.monotonic()
    with pytest.raises(pages.RenderRefused) as refused:
        pages.render_pages(storage, source, limits=PdfLimits(seconds=1))
    assert refused.value.code in ("timeout", "crashed")
    assert time.monotonic() - started < 10
    assert pages.rendered(storage, source) is None
    assert list(storage.tmp.iterdir()) == []  # no scratch copy, no partial page


@pytest.fixture
def worker_app(db_url: str, tmp_path: Path) -> Iterator[Flask]:
    """An app whose storage sits in its instance folder, where `ecabinet worker` looks."""
    from ecabinet.app import create_app

    instance = tmp_path / "instance"
    application = create_app(app_config(db_url, tmp_path, STORAGE_DIR=str(instance / "storage")))
    yield application
    application.extensions["ecabinet.live"].close()
    application.extensions["ecabinet.db"].dispose()


@pytest.mark.system
def test_a_worker_killed_mid_render_leaves_no_page_served_and_the_render_resumes(
    worker_app: Flask, db_url: str, tmp_path: Path
) -> None:
    app = worker_app
    database: Database = app.extensions["ecabinet.db"]
    storage: Storage = app.extensions["ecabinet.storage"]
    meeting = make_meeting(database)
    document_id = add_document(database, storage, meeting, three_pages())
    run_jobs(app)
    reader = tablet(app, database, meeting, "Nguyễn Văn An")
    url = f"/api/v1/documents/{document_id}/pages"
    assert reader.get(url).status_code == 202
    # The worker dies (SIGKILL) right after the second page landed in place.
    worker = worker_process(tmp_path / "instance", db_url, ECABINET_FAILPOINTS="pages.stored@2")
    try:
        worker.wait(timeout=60)
    except subprocess.TimeoutExpired:
        worker.kill()
        worker.wait()
        pytest.fail((tmp_path / "instance" / "worker.log").read_text())
    assert worker.returncode == -9, (tmp_path / "instance" / "worker.log").read_text()
    source = pages.PageSource(stored_sha256(database, document_id), document_id)
    landed = sorted(p.name for p in pages.pages_dir(storage, source).iterdir())
    assert landed == ["1.webp", "2.webp"]  # cut short: no manifest
    assert reader.get(url).status_code == 202  # not ready: nothing is served
    assert fetch(reader, f"/documents/{document_id}/pages/{source.sha256}/1").status_code == 404
    with database.unit_of_work() as session:  # the dead worker's lease runs out
        session.execute(
            update(Job)
            .where(col(Job.kind) == pages.RENDER_JOB)
            .values(lease_until=utcnow() - timedelta(minutes=1))
        )
    assert run_jobs(app) == 1
    body = reader.get(url).json
    assert body["status"] == "ready"
    for page in body["pages"]:
        assert max(decode(fetch(reader, page["url"]).data).size) == 1600
    # What the dead worker left in tmp/ (the PDF's scratch copy, page 3) goes at start-up.
    assert [p for p in storage.tmp.iterdir() if p.name.startswith("work-")]
    storage.clean_temp()
    assert list(storage.tmp.iterdir()) == []
