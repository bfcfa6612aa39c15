"""Job rows: enqueue in the caller's transaction, claim with a lease, finish, retry, cancel.

The job is written in the same transaction as the change that causes it, so a committed
change always has its job and a rolled-back one never does (transactional outbox). Delivery
is at least once: a worker that dies mid-job loses its lease and the job runs again, so
handlers make their effect idempotent (they check before they act).

Claiming: PostgreSQL skips rows another worker holds (`FOR UPDATE SKIP LOCKED`); SQLite has
one writer at a time (`BEGIN IMMEDIATE`, db.py), so two claims never interleave there either.
"""

from __future__ import annotations

import json
import random
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import insert as sa_insert
from sqlmodel import Session, col, func, select

from ecabinet.actor import Actor
from ecabinet.db import insert_or_ignore
from ecabinet.errors import Conflict, NotFound
from ecabinet.events import record
from ecabinet.jobs.events import JobQueued
from ecabinet.jobs.models import Job, JobState
from ecabinet.permissions import Perm, require_global
from ecabinet.timeutil import utcnow

BACKOFF_BASE = timedelta(seconds=2)
BACKOFF_CAP = timedelta(minutes=10)
MAX_ERROR = 4000


class JobFailed(Exception):
    """Raised by a handler for an outcome that no retry can change (a file that is gone)."""


class RetryLater(Exception):
    """Raised by a handler that knows when to try again (a gateway asking to wait): queued
    again after `delay` instead of the standard backoff."""

    def __init__(self, reason: str, delay: timedelta) -> None:
        super().__init__(reason)
        self.delay = delay


@dataclass(frozen=True)
class ClaimedJob:
    id: int
    kind: str
    payload: dict[str, Any]
    attempt: int  # 1 for the first run
    key: str | None


def enqueue(
    session: Session,
    kind: str,
    payload: Mapping[str, Any] | None = None,
    *,
    key: str | None = None,
    run_at: datetime | None = None,
    max_attempts: int = 5,
    priority: int = 0,
) -> int | None:
    """Add a job to the caller's transaction. With `key`, a second enqueue of the same key
    adds nothing. Returns the new job's id, or None when the key was already taken."""
    values = {
        "kind": kind,
        "payload": json.dumps(dict(payload or {}), ensure_ascii=False, sort_keys=True),
        "idempotency_key": key,
        "state": JobState.QUEUED.value,
        "priority": priority,
        "run_at": run_at or utcnow(),
        "attempts": 0,
        "max_attempts": max_attempts,
        "last_error": "",
        "created_at": utcnow(),
    }
    statement = insert_or_ignore(session, Job).values(**values)
    if key is not None:
        statement = statement.on_conflict_do_nothing(index_elements=["idempotency_key"])
    job_id = session.execute(statement.returning(col(Job.id))).scalar_one_or_none()
    if job_id is not None:
        record(session, JobQueued(job_id, kind))
    return job_id


def enqueue_many(
    session: Session,
    kind: str,
    payloads: list[Mapping[str, Any]],
    *,
    run_at: datetime | None = None,
    max_attempts: int = 5,
    priority: int = 0,
) -> int:
    """Many jobs of one kind in the caller's transaction, in batched statements (10,000 SMS
    of a congress's invitations). No idempotency keys: the caller's own rows carry them.
    Returns how many were added."""
    if not payloads:
        return 0
    now = utcnow()
    rows = [
        {
            "kind": kind,
            "payload": json.dumps(dict(payload), ensure_ascii=False, sort_keys=True),
            "idempotency_key": None,
            "state": JobState.QUEUED.value,
            "priority": priority,
            "run_at": run_at or now,
            "attempts": 0,
            "max_attempts": max_attempts,
            "last_error": "",
            "created_at": now,
        }
        for payload in payloads
    ]
    for start in range(0, len(rows), 5000):
        session.execute(sa_insert(Job), rows[start : start + 5000])
    record(session, JobQueued(0, kind))
    return len(rows)


def claim(
    session: Session, *, worker: str, lease: timedelta, now: datetime | None = None
) -> ClaimedJob | None:
    """Take the most urgent due job (or one whose worker's lease ran out) for `worker`.
    A job whose lease ran out with no attempts left is marked failed instead."""
    now = now or utcnow()
    while True:
        # First a job whose worker died (its lease ran out), then the most urgent due one.
        # Two queries: the second walks ix_job_claim to its first due row; with 10,000 SMS
        # queued, one query over both made each claim sort them all.
        job = session.exec(
            select(Job)
            .where(Job.state == JobState.RUNNING, col(Job.lease_until) < now)
            .order_by(col(Job.lease_until))
            .limit(1)
            .with_for_update(skip_locked=True)
        ).first()
        if job is None:
            job = session.exec(
                select(Job)
                .where(Job.state == JobState.QUEUED, col(Job.run_at) <= now)
                .order_by(col(Job.priority).desc(), col(Job.run_at), col(Job.id))
                .limit(1)
                .with_for_update(skip_locked=True)
            ).first()
        if job is None:
            return None
        if job.state == JobState.RUNNING and job.attempts >= job.max_attempts:
            job.state = JobState.FAILED
            job.last_error = _clip(f"{job.last_error}\nworker {job.locked_by} lost its lease")
            job.finished_at, job.lease_until = now, None
            session.add(job)
            session.flush()
            continue
        job.state = JobState.RUNNING
        job.attempts += 1
        job.lease_until = now + lease
        job.locked_by = worker
        session.add(job)
        session.flush()
        assert job.id is not None
        return ClaimedJob(
            job.id, job.kind, json.loads(job.payload), job.attempts, job.idempotency_key
        )


def complete(session: Session, *, job_id: int, worker: str, now: datetime | None = None) -> bool:
    """Mark a job done. False if the worker had lost it (its lease ran out and it was taken)."""
    job = session.get(Job, job_id)
    if job is None or job.state != JobState.RUNNING or job.locked_by != worker:
        return False
    job.state = JobState.DONE
    job.finished_at, job.lease_until = now or utcnow(), None
    session.add(job)
    return True


def fail(
    session: Session,
    *,
    job_id: int,
    worker: str,
    error: str,
    permanent: bool = False,
    retry_in: timedelta | None = None,
    now: datetime | None = None,
) -> str | None:
    """Record a failed attempt: queued again after a persisted, growing delay, or failed for
    good when attempts are spent (or `permanent`). Returns the new state, None if lost."""
    job = session.get(Job, job_id)
    if job is None or job.state != JobState.RUNNING or job.locked_by != worker:
        return None
    now = now or utcnow()
    job.last_error = _clip(error)
    job.lease_until = None
    if permanent or job.attempts >= job.max_attempts:
        job.state, job.finished_at = JobState.FAILED, now
    else:
        delay = backoff(job.attempts) if retry_in is None else retry_in
        job.state, job.run_at = JobState.QUEUED, now + delay
    session.add(job)
    return job.state


def backoff(attempts: int) -> timedelta:
    """2 s, 4 s, 8 s ... capped at 10 min, with up to 20 % jitter so retries spread out."""
    delay: timedelta = min(BACKOFF_CAP, BACKOFF_BASE * (2 ** max(0, attempts - 1)))
    jitter = 1 + random.random() * 0.2  # noqa: S311  (spreading retries, not security)
    return delay * jitter


def extend_lease(
    session: Session, *, job_id: int, worker: str, lease: timedelta, now: datetime | None = None
) -> bool:
    """A long handler's heartbeat: `worker` holds its job for another `lease` from now.
    False if it had lost the job (its lease ran out and another worker took it)."""
    job = session.get(Job, job_id)
    if job is None or job.state != JobState.RUNNING or job.locked_by != worker:
        return False
    job.lease_until = (now or utcnow()) + lease
    session.add(job)
    return True


def retry(session: Session, *, actor: Actor, job_id: int) -> Job:
    """Queue a failed or cancelled job again, now, with a fresh set of attempts."""
    require_global(actor, Perm.MANAGE_USERS)
    job = get_job(session, job_id)
    if job.state not in (JobState.FAILED, JobState.CANCELLED):
        raise Conflict("Chỉ chạy lại được việc đã lỗi hoặc đã hủy.", code="job_not_retryable")
    run_again(session, job)
    return job


def run_again(session: Session, job: Job, payload: Mapping[str, Any] | None = None) -> None:
    """Queue a finished job again, now, under its key, with a fresh set of attempts (and a
    new payload, if given): for an effect undone since it ran, such as a derived file that
    was deleted with its source and is asked for again."""
    job.state, job.attempts, job.run_at = JobState.QUEUED, 0, utcnow()
    job.finished_at = None
    if payload is not None:
        job.payload = json.dumps(dict(payload), ensure_ascii=False, sort_keys=True)
    session.add(job)
    session.flush()
    assert job.id is not None
    record(session, JobQueued(job.id, job.kind))


def find_job(session: Session, *, key: str) -> Job | None:
    """The job enqueued under an idempotency key, in whatever state it is."""
    return session.exec(select(Job).where(Job.idempotency_key == key)).first()


def cancel(session: Session, *, actor: Actor, job_id: int) -> Job:
    """Cancel a job that has not run yet (a running one finishes what it started)."""
    require_global(actor, Perm.MANAGE_USERS)
    job = get_job(session, job_id)
    if job.state != JobState.QUEUED:
        raise Conflict("Chỉ hủy được việc đang chờ.", code="job_not_cancellable")
    job.state, job.finished_at = JobState.CANCELLED, utcnow()
    session.add(job)
    return job


def get_job(session: Session, job_id: int) -> Job:
    job = session.get(Job, job_id)
    if job is None:
        raise NotFound("Không tìm thấy việc này.", code="job_not_found")
    return job


def list_jobs(
    session: Session, *, state: str | None = None, kind: str | None = None, limit: int = 100
) -> list[Job]:
    query = select(Job)
    if state:
        query = query.where(Job.state == state)
    if kind:
        query = query.where(Job.kind == kind)
    return list(session.exec(query.order_by(col(Job.id).desc()).limit(limit)))


def counts_by_state(session: Session) -> dict[str, int]:
    rows = session.exec(select(Job.state, func.count()).group_by(Job.state))
    counts = {state.value: 0 for state in JobState}
    counts.update({state: int(n) for state, n in rows})
    return counts


def next_due(session: Session) -> datetime | None:
    """When the next queued job becomes due (the runner sleeps until then, or a wake-up)."""
    return session.exec(
        select(func.min(Job.run_at)).where(Job.state == JobState.QUEUED)
    ).one_or_none()


def _clip(text: str) -> str:
    return text[-MAX_ERROR:]
