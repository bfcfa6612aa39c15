"""Durable jobs: a table in the app's database, a runner in every process that wants one."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the package stays importable without Flask (services, CLI, tests)
    from flask import Flask


def init_app(app: Flask) -> None:
    from collections.abc import Sequence
    from datetime import timedelta

    from ecabinet.events import DomainEvent, EventBus
    from ecabinet.jobs import routes
    from ecabinet.jobs.events import JobQueued
    from ecabinet.jobs.runner import JobRunner

    runner = JobRunner(
        app.extensions["ecabinet.db"],
        lease=timedelta(seconds=int(app.config["JOB_LEASE_SECONDS"])),
        poll_seconds=float(app.config["JOB_POLL_SECONDS"]),
    )
    app.extensions["ecabinet.jobs"] = runner
    bus: EventBus = app.extensions["ecabinet.events"]

    @bus.after_commit
    def wake_runner(events: Sequence[DomainEvent]) -> None:
        if any(isinstance(e, JobQueued) for e in events):
            runner.wake()

    app.register_blueprint(routes.bp)
