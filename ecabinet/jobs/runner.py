"""The job runner: claims due jobs, runs their handlers, records the outcome.

One runner per process: `ecabinet serve` starts one in-process (a green thread under eventlet
or gevent), `ecabinet worker` runs one in the foreground; several processes may run at once.
Each claim, and each outcome, is its own short transaction; a handler opens its own.
"""

from __future__ import annotations

import logging
import os
import secrets
import socket
import threading
import traceback
from collections.abc import Callable
from datetime import timedelta

from ecabinet import failpoints
from ecabinet.db import Database
from ecabinet.jobs import service
from ecabinet.jobs.service import ClaimedJob, JobFailed, RetryLater
from ecabinet.timeutil import utcnow

log = logging.getLogger(__name__)
Handler = Callable[[ClaimedJob], None]


class JobRunner:
    def __init__(
        self,
        database: Database,
        *,
        lease: timedelta = timedelta(seconds=120),
        poll_seconds: float = 1.0,
    ) -> None:
        self.database = database
        self.lease = lease
        self.poll_seconds = poll_seconds
        self.worker = f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"
        self.handlers: dict[str, Handler] = {}
        self._wake = threading.Event()
        self._stop = threading.Event()

    def register(self, kind: str, handler: Handler) -> None:
        """Features register the job kinds they own in their init_app."""
        if kind in self.handlers:
            raise ValueError(f"job kind {kind!r} registered twice")
        self.handlers[kind] = handler

    def wake(self) -> None:
        """A job became due in this process: run it now rather than at the next poll."""
        self._wake.set()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()

    def extend_lease(self, job: ClaimedJob) -> bool:
        """Called by a handler between the steps of long work (a thousand pages to render):
        its job stays this worker's for another lease. False if it was already lost."""
        with self.database.unit_of_work() as session:
            return service.extend_lease(
                session, job_id=job.id, worker=self.worker, lease=self.lease
            )

    def run_once(self) -> bool:
        """Claim one due job and run it. False when none was due."""
        with self.database.unit_of_work() as session:
            job = service.claim(session, worker=self.worker, lease=self.lease)
        if job is None:
            return False
        failpoints.reach("job.claimed")
        handler = self.handlers.get(job.kind)
        try:
            if handler is None:
                raise JobFailed(f"no handler for job kind {job.kind!r} in this process")
            handler(job)
        except JobFailed as exc:
            self._record_failure(job, str(exc), permanent=True)
        except RetryLater as later:
            self._record_failure(job, str(later), permanent=False, retry_in=later.delay)
        except Exception:
            self._record_failure(job, traceback.format_exc(limit=8), permanent=False)
        else:
            failpoints.reach("job.ran")
            with self.database.unit_of_work() as session:
                if not service.complete(session, job_id=job.id, worker=self.worker):
                    log.warning("job %s finished after its lease was taken over", job.id)
        return True

    def drain(self, limit: int = 10_000) -> int:
        """Run due jobs until none is left (tests, `ecabinet jobs run`). Returns how many."""
        done = 0
        while done < limit and self.run_once():
            done += 1
        return done

    def run_forever(self) -> None:
        """Run jobs until stop(): at once when woken, else when the next job is due, else at
        the next poll (another process may have queued one)."""
        log.info("job runner %s started (%d kinds)", self.worker, len(self.handlers))
        while not self._stop.is_set():
            try:
                while not self._stop.is_set() and self.run_once():
                    pass
                wait = self._seconds_until_next()
            except Exception:
                log.exception("job runner: database unavailable; trying again")
                wait = self.poll_seconds * 5
            self._wake.wait(wait)
            self._wake.clear()
        log.info("job runner %s stopped", self.worker)

    def _seconds_until_next(self) -> float:
        with self.database.unit_of_work(write=False) as session:
            due = service.next_due(session)
        if due is None:
            return self.poll_seconds
        return max(0.0, min(self.poll_seconds, (due - utcnow()).total_seconds()))

    def _record_failure(
        self,
        job: ClaimedJob,
        error: str,
        *,
        permanent: bool,
        retry_in: timedelta | None = None,
    ) -> None:
        with self.database.unit_of_work() as session:
            state = service.fail(
                session,
                job_id=job.id,
                worker=self.worker,
                error=error,
                permanent=permanent,
                retry_in=retry_in,
            )
        # A handler that asked to wait (a gateway outage) is not news at every attempt.
        log.log(
            logging.DEBUG if retry_in is not None else logging.WARNING,
            "job %s (%s) attempt %d failed, now %s: %s",
            job.id,
            job.kind,
            job.attempt,
            state,
            error.strip().splitlines()[-1] if error.strip() else "",
        )
