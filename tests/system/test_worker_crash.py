"""`ecabinet worker` killed with SIGKILL again and again (after claiming, after the work but
before recording it, at random moments): in the end no job is lost, each is done or failed,
and each document's inspection took effect once."""

from __future__ import annotations

import io
import random
import signal
import subprocess
import time
from pathlib import Path

import pytest
from sqlmodel import select

from ecabinet.db import Database
from ecabinet.documents.models import Document, DocumentStatus
from ecabinet.documents.storage import Storage
from ecabinet.documents.upload import upload_document
from ecabinet.jobs.models import Job, JobState
from ecabinet.meetings.models import Meeting
from tests.factories import make_meeting, sample_pdf
from tests.tools import worker_process

pytestmark = pytest.mark.system
RUNS = 21
DOCUMENTS = 14


def worker(instance: Path, db_url: str, failpoint: str = "") -> subprocess.Popen[bytes]:
    return worker_process(instance, db_url, ECABINET_FAILPOINTS=failpoint)


def unfinished(database: Database) -> int:
    with database.unit_of_work(write=False) as session:
        return len(
            session.exec(
                select(Job).where(Job.state.in_([JobState.QUEUED, JobState.RUNNING]))  # type: ignore[attr-defined]
            ).all()
        )


def test_a_worker_killed_over_and_over_loses_no_job_and_repeats_no_effect(
    database: Database, db_url: str, tmp_path: Path
) -> None:
    instance = tmp_path / "worker-instance"
    instance.mkdir()
    (instance / "secret_key").write_text("worker-test-secret-key-0123456789abcdef0123456789")
    storage = Storage(instance / "storage")
    meeting = make_meeting(database, items=1)
    for n in range(DOCUMENTS):
        upload_document(
            database,
            storage,
            actor=meeting.secretary.actor,
            meeting_id=meeting.id,
            stream=io.BytesIO(sample_pdf(f"Tài liệu số {n}")),
            filename=f"tai-lieu-{n}.pdf",
            max_bytes=10_000_000,
        )
    with database.unit_of_work(write=False) as session:
        version_before = session.get(Meeting, meeting.id).version
    rng = random.Random(7)  # noqa: S311  (test timing, not security)
    kills = 0
    for run in range(RUNS):
        point = ["job.claimed", "job.ran", ""][run % 3]
        proc = worker(instance, db_url, point)
        if point:
            try:
                proc.wait(timeout=20)  # it dies at the failpoint, as soon as a job is due
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        else:
            time.sleep(rng.uniform(0.8, 2.0))  # start-up takes most of a second
            proc.send_signal(signal.SIGKILL)
            proc.wait()
        kills += proc.returncode == -signal.SIGKILL
    assert kills >= 20, f"only {kills} kills"
    survivor = worker(instance, db_url)
    try:
        deadline = time.monotonic() + 90
        while unfinished(database) and time.monotonic() < deadline:
            time.sleep(0.3)
    finally:
        survivor.terminate()
        survivor.wait(timeout=10)
    assert unfinished(database) == 0, (instance / "worker.log").read_text()[-2000:]
    with database.unit_of_work(write=False) as session:
        jobs = session.exec(select(Job)).all()
        documents = session.exec(select(Document)).all()
        version_after = session.get(Meeting, meeting.id).version
    assert len(jobs) == DOCUMENTS  # one job per document, whatever was retried
    assert {job.state for job in jobs} <= {JobState.DONE, JobState.FAILED}
    ready = [d for d in documents if d.status == DocumentStatus.READY]
    done = [j for j in jobs if j.state == JobState.DONE]
    assert len(ready) >= len(done) > 0
    assert all(d.has_thumbnail and storage.thumbnail_path(d.sha256).is_file() for d in ready)
    # Each inspection that took effect bumped the meeting's version exactly once.
    assert version_after - version_before == len(ready)
    assert sum(j.attempts for j in jobs) > DOCUMENTS  # the kills really cost attempts
