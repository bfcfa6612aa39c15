"""kill -9 against a real server: at named points of an upload or deletion (failpoints), and at
random moments during a stream of uploads and agenda edits. After each restart no blob lacks a
row, no row lacks its blob, and nothing that was acknowledged is lost."""

from __future__ import annotations

import random
import signal
import threading
import time
from typing import Any

import pytest
import requests
from sqlmodel import select

from ecabinet.agenda.models import AgendaItem
from ecabinet.db import Database
from ecabinet.documents.models import Document, DocumentRevision
from ecabinet.documents.storage import Storage
from tests.factories import MeetingFixture, make_meeting, sample_pdf
from tests.system.test_realtime_server import api_token
from tests.tools import ServerProcess, need
from tests.unit.test_office_documents import docx

pytestmark = pytest.mark.system


def upload(server: ServerProcess, meeting: MeetingFixture, auth: dict[str, str], n: int) -> Any:
    return requests.post(
        f"{server.url}/api/v1/meetings/{meeting.id}/documents",
        files={"file": (f"Tài liệu {n}.pdf", sample_pdf(f"Tài liệu số {n}"), "application/pdf")},
        headers=auth,
        timeout=30,
    )


def assert_consistent(database: Database, server: ServerProcess) -> set[str]:
    """Blobs on disk are exactly the ones rows point at; nothing half-done is left."""
    storage = Storage(server.instance / "storage")
    with database.unit_of_work(write=False) as session:
        pointed = [
            *session.exec(select(Document.sha256, Document.pdf_sha256)),
            *session.exec(select(DocumentRevision.sha256, DocumentRevision.pdf_sha256)),
        ]
        rows = {sha for pair in pointed for sha in pair if sha}
    assert storage.blob_hashes() == rows, "a blob without a row, or a row without its blob"
    # A check running in the restarted server holds a scratch copy (a sealed blob decrypted
    # for the checker) until it ends, and the checks of the uploads the kills interrupted run
    # one after another: wait for a whole second with none, not for a moment between two.
    # What a crash left there was removed at start-up.
    deadline, clear_since = time.monotonic() + 60, None
    while time.monotonic() < deadline:
        if list(storage.tmp.glob("work-*")):
            clear_since = None
        elif clear_since is None:
            clear_since = time.monotonic()
        elif time.monotonic() - clear_since > 1.0:
            break
        time.sleep(0.05)
    assert list(storage.tmp.iterdir()) == []
    assert list(storage.intents.iterdir()) == []
    return rows


def crash_at(server: ServerProcess, point: str) -> None:
    server.extra_env["ECABINET_FAILPOINTS"] = point
    server.start()


def assert_died(server: ServerProcess) -> None:
    assert server.proc is not None
    assert server.proc.wait(timeout=10) == -signal.SIGKILL
    server.proc = None


def test_killed_at_every_step_of_an_upload_or_deletion_leaves_nothing_behind(
    database: Database, live_server: ServerProcess
) -> None:
    meeting = make_meeting(database)
    live_server.stop()
    # "At the moment the file lands" most often, and every other step of both paths twice.
    points = ["upload.promoted"] * 5 + [
        p
        for p in ("upload.received", "upload.intended", "upload.committed", "delete.committed")
        for _ in range(2)
    ]
    committed: set[str] = set()
    for n, point in enumerate(points):
        crash_at(live_server, point)
        committed = assert_consistent(database, live_server)
        auth = api_token(live_server, meeting.secretary.username)
        if point == "delete.committed":
            kept = upload(live_server, meeting, auth, 1000 + n)
            assert kept.status_code == 201, kept.text
            with pytest.raises(requests.ConnectionError):
                requests.delete(
                    f"{live_server.url}/api/v1/documents/{kept.json()['id']}",
                    headers=auth,
                    timeout=30,
                )
        else:
            with pytest.raises(requests.ConnectionError):
                upload(live_server, meeting, auth, n)
        assert_died(live_server)
    live_server.extra_env.pop("ECABINET_FAILPOINTS")
    live_server.start()
    after = assert_consistent(database, live_server)
    # The upload that died after its commit is kept (its row and file); the others left nothing.
    assert len(after - committed) <= 1
    auth = api_token(live_server, meeting.secretary.username)
    assert upload(live_server, meeting, auth, 9999).status_code == 201
    assert_consistent(database, live_server)


def test_random_kills_lose_nothing_acknowledged(
    database: Database, live_server: ServerProcess
) -> None:
    meeting = make_meeting(database, items=3)
    rng = random.Random(20261130)  # noqa: S311  (test timing, not security)
    acknowledged_docs: set[str] = set()
    acknowledged_titles: dict[int, str] = {}
    counter = 0
    for _ in range(4):
        auth = api_token(live_server, meeting.secretary.username)
        stop = threading.Event()

        def work(auth: dict[str, str] = auth, stop: threading.Event = stop) -> None:
            nonlocal counter
            while not stop.is_set():
                counter += 1
                item_id = meeting.item_ids[counter % len(meeting.item_ids)]
                title = f"Nội dung sửa lần {counter}"
                try:
                    edited = requests.patch(
                        f"{live_server.url}/api/v1/agenda/{item_id}",
                        json={"title": title},
                        headers=auth,
                        timeout=10,
                    )
                    if edited.status_code == 200:
                        acknowledged_titles[item_id] = title
                    uploaded = upload(live_server, meeting, auth, counter)
                    if uploaded.status_code == 201:
                        acknowledged_docs.add(uploaded.json()["sha256"])
                except requests.RequestException:
                    return

        worker = threading.Thread(target=work)
        worker.start()
        time.sleep(rng.uniform(0.3, 1.5))
        assert live_server.proc is not None
        live_server.proc.kill()
        assert_died(live_server)
        stop.set()
        worker.join(timeout=30)
        live_server.start()
        stored = assert_consistent(database, live_server)
        assert acknowledged_docs <= stored
        with database.unit_of_work(write=False) as session:
            for item_id, title in acknowledged_titles.items():
                item = session.get(AgendaItem, item_id)
                assert item is not None
                # The last acknowledged edit, or one sent after it that committed before the kill.
                number = int(item.title.rsplit(" ", 1)[1])
                assert number >= int(title.rsplit(" ", 1)[1])
    assert acknowledged_docs, "the kills came before any upload finished: the test saw nothing"


def test_a_bulk_upload_killed_mid_way_keeps_the_files_before_and_nothing_half_written(
    database: Database, live_server: ServerProcess
) -> None:
    """The workspace form posts a folder of PDFs in one request; the server dies as the 4th
    file lands. The three before it are kept whole (row, file, inspection job), the 4th
    leaves nothing, and a revision upload killed the same way leaves no revision."""
    meeting = make_meeting(database)
    live_server.stop()
    crash_at(live_server, "upload.promoted@4")
    auth = api_token(live_server, meeting.secretary.username)
    folder = [
        ("file", (f"Tài liệu {n}.pdf", sample_pdf(f"Tài liệu số {n}"), "application/pdf"))
        for n in range(6)
    ]
    with pytest.raises(requests.ConnectionError):
        requests.post(
            f"{live_server.url}/meetings/{meeting.id}/documents",
            files=folder,
            headers=auth,
            timeout=60,
        )
    assert_died(live_server)
    live_server.extra_env["ECABINET_FAILPOINTS"] = "upload.promoted"
    live_server.start()
    stored = assert_consistent(database, live_server)
    with database.unit_of_work(write=False) as session:
        titles = sorted(session.exec(select(Document.title)))
        first = session.exec(select(Document)).first()
    assert titles == ["Tài liệu 0", "Tài liệu 1", "Tài liệu 2"]
    assert len(stored) == 3
    assert first is not None
    auth = api_token(live_server, meeting.secretary.username)
    with pytest.raises(requests.ConnectionError):
        requests.post(
            f"{live_server.url}/api/v1/documents/{first.id}/revisions",
            files={"file": ("Bản 2.pdf", sample_pdf("Bản 2"), "application/pdf")},
            headers=auth,
            timeout=30,
        )
    assert_died(live_server)
    live_server.extra_env.pop("ECABINET_FAILPOINTS")
    live_server.start()
    assert assert_consistent(database, live_server) == stored
    with database.unit_of_work(write=False) as session:
        numbers = session.exec(
            select(DocumentRevision.number).where(DocumentRevision.document_id == first.id)
        ).all()
    assert list(numbers) == [1]


def test_a_conversion_killed_before_its_commit_leaves_no_orphan_pdf(
    database: Database, live_server: ServerProcess
) -> None:
    """With LibreOffice configured, the inspect job stores the converted PDF as its own blob;
    killed right after it lands, the restart removes it and a later run converts again."""
    soffice = need("soffice", "converts Word / Excel uploads to PDF")
    meeting = make_meeting(database)
    live_server.stop()
    live_server.extra_env["ECABINET_OFFICE_CONVERTER"] = soffice
    crash_at(live_server, "inspect.promoted")
    auth = api_token(live_server, meeting.secretary.username)
    uploaded = requests.post(
        f"{live_server.url}/api/v1/meetings/{meeting.id}/documents",
        files={"file": ("Tờ trình.docx", docx("Tờ trình số 12"), "application/octet-stream")},
        headers=auth,
        timeout=30,
    )
    assert uploaded.status_code == 201, uploaded.text
    assert live_server.proc is not None
    live_server.proc.wait(timeout=60)  # the in-process job runner converts, then dies
    assert_died(live_server)
    live_server.extra_env.pop("ECABINET_FAILPOINTS")
    live_server.start()
    stored = assert_consistent(database, live_server)
    assert stored == {uploaded.json()["sha256"]}  # the orphaned PDF is gone
