"""Durable jobs without a server: enqueue with the change, claim with a lease, retry with a
persisted backoff, give up, and never hand one job to two workers."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import select

from ecabinet.actor import SYSTEM
from ecabinet.db import Database
from ecabinet.errors import Conflict
from ecabinet.jobs import service as jobs
from ecabinet.jobs.models import Job, JobState
from ecabinet.jobs.runner import JobRunner
from ecabinet.jobs.service import ClaimedJob, JobFailed

NOW = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)  # in the past: the runner (real clock) finds them due
LEASE = timedelta(seconds=30)


def enqueue(database: Database, kind: str = "test.echo", **kwargs: object) -> int | None:
    with database.unit_of_work() as session:
        return jobs.enqueue(session, kind, {"n": 1}, run_at=NOW, **kwargs)  # type: ignore[arg-type]


def state_of(database: Database, job_id: int) -> Job:
    with database.unit_of_work(write=False) as session:
        job = session.get(Job, job_id)
        assert job is not None
        return job


def test_a_job_is_written_with_the_change_or_not_at_all(database: Database) -> None:
    def fail() -> None:
        with database.unit_of_work() as session:
            jobs.enqueue(session, "test.echo", {"n": 1})
            raise RuntimeError("the change failed")

    with pytest.raises(RuntimeError):
        fail()
    with database.unit_of_work(write=False) as session:
        assert session.exec(select(Job)).all() == []


def test_one_key_gives_one_job(database: Database) -> None:
    first = enqueue(database, key="documents.inspect:7")
    second = enqueue(database, key="documents.inspect:7")
    assert first is not None
    assert second is None
    with database.unit_of_work(write=False) as session:
        assert len(session.exec(select(Job)).all()) == 1


def test_claims_take_the_most_urgent_due_job_and_hold_it(database: Database) -> None:
    later = enqueue(database)
    urgent = enqueue(database, priority=5)
    with database.unit_of_work() as session:
        jobs.enqueue(session, "test.echo", {}, run_at=NOW + timedelta(hours=1))  # not due
    with database.unit_of_work() as session:
        first = jobs.claim(session, worker="w1", lease=LEASE, now=NOW)
        second = jobs.claim(session, worker="w2", lease=LEASE, now=NOW)
        third = jobs.claim(session, worker="w3", lease=LEASE, now=NOW)
    assert first is not None
    assert second is not None
    assert (first.id, second.id, third) == (urgent, later, None)
    assert first.attempt == 1
    held = state_of(database, urgent or 0)
    assert (held.state, held.locked_by) == (JobState.RUNNING, "w1")


def test_a_lost_lease_returns_the_job_and_a_late_finish_is_refused(database: Database) -> None:
    job_id = enqueue(database)
    assert job_id is not None
    with database.unit_of_work() as session:
        assert jobs.claim(session, worker="dead", lease=LEASE, now=NOW) is not None
    with database.unit_of_work() as session:
        retaken = jobs.claim(session, worker="alive", lease=LEASE, now=NOW + LEASE * 2)
    assert retaken is not None
    assert (retaken.id, retaken.attempt) == (job_id, 2)
    with database.unit_of_work() as session:
        assert jobs.complete(session, job_id=job_id, worker="dead") is False
        assert jobs.complete(session, job_id=job_id, worker="alive") is True
    assert state_of(database, job_id).state == JobState.DONE


def test_failures_back_off_then_give_up(database: Database) -> None:
    job_id = enqueue(database, max_attempts=3)
    assert job_id is not None
    now = NOW
    delays = []
    for attempt in range(1, 4):
        with database.unit_of_work() as session:
            claimed = jobs.claim(session, worker="w", lease=LEASE, now=now)
            assert claimed is not None, attempt
            assert claimed.attempt == attempt
            state = jobs.fail(session, job_id=job_id, worker="w", error=f"lỗi {attempt}", now=now)
        job = state_of(database, job_id)
        if attempt < 3:
            assert state == JobState.QUEUED
            delays.append(job.run_at - now)
            with database.unit_of_work() as session:  # not due before its backoff
                assert jobs.claim(session, worker="w", lease=LEASE, now=now) is None
            now = job.run_at
        else:
            assert state == JobState.FAILED
            assert job.last_error == "lỗi 3"
    assert timedelta(seconds=2) <= delays[0] < delays[1] <= timedelta(seconds=5)


def test_an_expired_lease_with_no_attempts_left_fails_the_job(database: Database) -> None:
    job_id = enqueue(database, max_attempts=1)
    assert job_id is not None
    with database.unit_of_work() as session:
        jobs.claim(session, worker="dead", lease=LEASE, now=NOW)
    with database.unit_of_work() as session:
        assert jobs.claim(session, worker="w", lease=LEASE, now=NOW + LEASE * 2) is None
    job = state_of(database, job_id)
    assert job.state == JobState.FAILED
    assert "lost its lease" in job.last_error


def test_retry_and_cancel_by_an_administrator(database: Database) -> None:
    job_id = enqueue(database, max_attempts=1)
    assert job_id is not None
    with database.unit_of_work() as session:
        with pytest.raises(Conflict):
            jobs.retry(session, actor=SYSTEM, job_id=job_id)
        jobs.cancel(session, actor=SYSTEM, job_id=job_id)
    assert state_of(database, job_id).state == JobState.CANCELLED
    with database.unit_of_work() as session:
        jobs.retry(session, actor=SYSTEM, job_id=job_id)
        assert jobs.counts_by_state(session)["queued"] == 1


def test_the_runner_runs_handlers_and_records_outcomes(database: Database) -> None:
    runner = JobRunner(database, lease=LEASE)
    seen: list[int] = []

    def echo(job: ClaimedJob) -> None:
        seen.append(job.payload["n"])

    def broken(job: ClaimedJob) -> None:
        raise JobFailed("tệp đã bị xóa")

    def flaky(job: ClaimedJob) -> None:
        raise OSError("đĩa đầy")

    runner.register("test.echo", echo)
    runner.register("test.broken", broken)
    runner.register("test.flaky", flaky)
    ok, gone, retried, unknown = (
        enqueue(database),
        enqueue(database, "test.broken"),
        enqueue(database, "test.flaky"),
        enqueue(database, "test.nobody"),
    )
    assert runner.drain() == 4
    assert seen == [1]
    assert state_of(database, ok or 0).state == JobState.DONE
    assert state_of(database, gone or 0).state == JobState.FAILED  # no retry can help
    flaky_job = state_of(database, retried or 0)
    assert flaky_job.state == JobState.QUEUED  # later, after its backoff
    assert "OSError: đĩa đầy" in flaky_job.last_error
    assert "no handler" in state_of(database, unknown or 0).last_error
    with pytest.raises(ValueError, match="twice"):
        runner.register("test.echo", echo)


def test_concurrent_workers_never_claim_the_same_job(database: Database) -> None:
    """Four workers drain 120 jobs at once (on PostgreSQL: FOR UPDATE SKIP LOCKED)."""
    with database.unit_of_work() as session:
        for _ in range(120):
            jobs.enqueue(session, "test.echo", {}, run_at=NOW)
    claimed: Counter[int] = Counter()
    lock = threading.Lock()
    errors: list[BaseException] = []

    def work(name: str) -> None:
        try:
            while True:
                with database.unit_of_work() as session:
                    job = jobs.claim(session, worker=name, lease=LEASE, now=NOW)
                    if job is None:
                        return
                    jobs.complete(session, job_id=job.id, worker=name)
                with lock:
                    claimed[job.id] += 1
        except BaseException as exc:  # surfaced below, not lost in the thread
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(f"w{n}",)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert len(claimed) == 120
    assert set(claimed.values()) == {1}
    with database.unit_of_work(write=False) as session:
        assert jobs.counts_by_state(session)["done"] == 120
