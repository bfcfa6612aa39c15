"""Document revisions: a new upload keeps the old revision, becomes current only once its
check passes, is logged, and takes every revision's file with it when deleted."""

from __future__ import annotations

import hashlib
import io
import json

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlmodel import select

from ecabinet.audit.models import AuditEntry
from ecabinet.db import Database
from ecabinet.documents import revisions
from ecabinet.documents.models import Document, DocumentRevision, DocumentStatus
from ecabinet.documents.pdf import PdfLimits
from ecabinet.documents.processing import inspect_document
from ecabinet.documents.schemas import RevisionPublic
from ecabinet.documents.storage import Storage
from ecabinet.documents.upload import delete_document, upload_revision
from ecabinet.errors import Invalid, NotFound
from ecabinet.jobs.models import Job
from ecabinet.live.state import snapshot
from tests.conftest import Login, run_jobs
from tests.factories import MeetingFixture, make_document, make_meeting, make_token, sample_pdf


def revise(
    database: Database, storage: Storage, meeting: MeetingFixture, document_id: int, data: bytes
) -> RevisionPublic:
    return upload_revision(
        database,
        storage,
        actor=meeting.secretary.actor,
        document_id=document_id,
        stream=io.BytesIO(data),
        filename="bao-cao-sua.pdf",
        max_bytes=10 * 1024 * 1024,
    )


def check(database: Database, storage: Storage, revision: RevisionPublic) -> str | None:
    return inspect_document(
        database,
        storage,
        document_id=revision.document_id,
        revision_id=revision.id,
        limits=PdfLimits(),
    )


def current(database: Database, document_id: int) -> Document:
    with database.unit_of_work(write=False) as session:
        document = session.get(Document, document_id)
        assert document is not None
        return document


def states(database: Database, document_id: int) -> list[tuple[int, str]]:
    with database.unit_of_work(write=False) as session:
        rows = session.exec(
            select(DocumentRevision)
            .where(DocumentRevision.document_id == document_id)
            .order_by(DocumentRevision.number)  # type: ignore[arg-type]
        )
        return [(row.number, row.status) for row in rows]


def test_a_new_revision_becomes_current_once_checked_and_keeps_the_old(
    app_db: Database, app_storage: Storage
) -> None:
    database, storage = app_db, app_storage  # the app's bus writes the record
    meeting = make_meeting(database)
    first = make_document(database, storage, meeting, title="Báo cáo")
    new_pdf = sample_pdf("Báo cáo (sửa lần 1)")
    second = revise(database, storage, meeting, first.id, new_pdf)
    assert (second.number, second.status) == (2, DocumentStatus.PROCESSING)
    # While it is checked, tablets keep revision 1.
    assert current(database, first.id).sha256 == first.sha256
    with database.unit_of_work(write=False) as session:
        before = snapshot(session, meeting.id)
    assert before is not None
    assert [d.state["revision"] for d in before.documents] == [1]

    assert check(database, storage, second) == DocumentStatus.READY
    now = current(database, first.id)
    assert (now.revision, now.sha256, now.status) == (
        2,
        hashlib.sha256(new_pdf).hexdigest(),
        DocumentStatus.READY,
    )
    assert now.title == "Báo cáo"  # the document's own fields stay
    assert states(database, first.id) == [(1, "superseded"), (2, "ready")]
    assert storage.path_for(first.sha256).is_file()  # the old file is kept
    with database.unit_of_work(write=False) as session:
        after = snapshot(session, meeting.id)
        entry = session.exec(select(AuditEntry).where(AuditEntry.action == "document.revise")).one()
    assert after is not None
    assert after.shared["version"] > before.shared["version"]  # pushed to tablets
    assert [d.state["revision"] for d in after.documents] == [2]
    assert json.loads(entry.changes) == [["revision", "1", "2"]]
    assert entry.actor_id == meeting.secretary.id


def test_a_refused_revision_changes_nothing_tablets_see(
    database: Database, storage: Storage
) -> None:
    meeting = make_meeting(database)
    first = make_document(database, storage, meeting)
    broken = revise(database, storage, meeting, first.id, b"%PDF-1.7\n" + b"\x00garbage" * 50)
    assert check(database, storage, broken) == DocumentStatus.REJECTED
    document = current(database, first.id)
    assert (document.revision, document.sha256, document.status) == (1, first.sha256, "ready")
    assert states(database, first.id) == [(1, "ready"), (2, "rejected")]
    with database.unit_of_work(write=False) as session:
        rejected = session.exec(select(DocumentRevision).where(DocumentRevision.number == 2)).one()
    assert rejected.rejection_message  # Vietnamese, shown under the document


def test_a_later_revision_checked_first_wins(database: Database, storage: Storage) -> None:
    meeting = make_meeting(database)
    first = make_document(database, storage, meeting)
    second = revise(database, storage, meeting, first.id, sample_pdf("Bản 2"))
    third = revise(database, storage, meeting, first.id, sample_pdf("Bản 3"))
    check(database, storage, third)
    check(database, storage, second)
    assert current(database, first.id).revision == 3
    assert states(database, first.id) == [(1, "superseded"), (2, "superseded"), (3, "ready")]


def test_the_job_runner_checks_revisions(
    app: Flask, app_db: Database, app_storage: Storage
) -> None:
    meeting = make_meeting(app_db)
    first = make_document(app_db, app_storage, meeting)
    revise(app_db, app_storage, meeting, first.id, sample_pdf("Bản 2"))
    assert run_jobs(app) >= 1
    assert current(app_db, first.id).revision == 2
    with app_db.unit_of_work(write=False) as session:
        payloads = [job.payload for job in session.exec(select(Job))]
    assert any("revision_id" in str(payload) for payload in payloads)


def test_a_failed_revision_upload_leaves_no_row_and_no_file(
    database: Database, storage: Storage
) -> None:
    meeting = make_meeting(database)
    first = make_document(database, storage, meeting)
    with pytest.raises(Invalid):
        revise(database, storage, meeting, first.id, b"not a pdf at all")
    with pytest.raises(Invalid):
        revise(database, storage, meeting, first.id, b"")
    assert states(database, first.id) == [(1, "ready")]
    assert storage.blob_hashes() == {first.sha256}
    assert not any(storage.tmp.iterdir())
    assert storage.pending_intents(include_live=True) == []


def test_deleting_a_document_deletes_every_revision_file(
    database: Database, storage: Storage
) -> None:
    meeting = make_meeting(database)
    first = make_document(database, storage, meeting)
    second = revise(database, storage, meeting, first.id, sample_pdf("Bản 2"))
    check(database, storage, second)
    delete_document(database, storage, actor=meeting.secretary.actor, document_id=first.id)
    assert not storage.path_for(first.sha256).exists()
    assert not storage.path_for(second.sha256).exists()
    with database.unit_of_work(write=False) as session:
        assert session.exec(select(DocumentRevision)).all() == []


def test_staff_download_old_revisions_and_delegates_only_get_the_current(
    client: FlaskClient, login: Login, app_db: Database, app_storage: Storage
) -> None:
    meeting = make_meeting(app_db)
    first = make_document(app_db, app_storage, meeting)
    new_pdf = sample_pdf("Bản 2")
    check(app_db, app_storage, revise(app_db, app_storage, meeting, first.id, new_pdf))
    token = make_token(app_db, meeting)

    csrf = login.as_staff(meeting.secretary)
    listed = client.get(f"/api/v1/documents/{first.id}/revisions")
    assert [(r["number"], r["status"]) for r in listed.json] == [(2, "ready"), (1, "superseded")]
    old = client.get(f"/documents/{first.id}/revisions/1/file")
    assert old.status_code == 200
    assert hashlib.sha256(old.data).hexdigest() == first.sha256
    assert "attachment" in old.headers["Content-Disposition"]
    old.close()
    page = client.get(f"/meetings/{meeting.id}").get_data(as_text=True)
    assert "Bản 2 (hiện hành)" in page
    assert f"/documents/{first.id}/revisions/1/file" in page
    # A revision uploaded from the workspace form.
    posted = client.post(
        f"/documents/{first.id}/revisions",
        data={"csrf_token": csrf, "file": (io.BytesIO(sample_pdf("Bản 3")), "ban-3.pdf")},
        content_type="multipart/form-data",
    )
    assert posted.status_code == 302
    refused = client.post(
        f"/documents/{first.id}/revisions",
        data={"csrf_token": csrf, "file": (io.BytesIO(b"hello"), "ban-4.pdf")},
        content_type="multipart/form-data",
        follow_redirects=True,
    )
    assert "Chưa nhận bản mới" in refused.get_data(as_text=True)
    assert states(app_db, first.id) == [(1, "superseded"), (2, "ready"), (3, "processing")]
    client.post("/logout", data={"csrf_token": csrf})

    tablet = client.application.test_client()
    tablet.get(f"/p/{token}")
    assert tablet.get(f"/documents/{first.id}/revisions/1/file").status_code in (403, 404)
    assert tablet.get(f"/api/v1/documents/{first.id}/revisions").status_code in (403, 404)
    served = tablet.get(f"/documents/{first.id}/file")
    assert hashlib.sha256(served.data).hexdigest() == hashlib.sha256(new_pdf).hexdigest()
    served.close()


def test_revisions_of_a_document_in_another_meeting_are_not_found(
    database: Database, storage: Storage
) -> None:
    meeting = make_meeting(database)
    other = make_meeting(database)
    first = make_document(database, storage, meeting)
    with database.unit_of_work(write=False) as session, pytest.raises(NotFound):
        revisions.list_revisions(session, actor=other.secretary.actor, document_id=first.id)
