"""`ecabinet worker` and `ecabinet jobs ...`: the same runner and services as the server."""

from __future__ import annotations

import signal
from typing import Any

import click

from ecabinet.actor import SYSTEM
from ecabinet.errors import AppError


def _app() -> Any:
    # The `ecabinet` group passes its app factory down (commands.py), so features' commands
    # need not import the command line, nor the command line know their internals.
    make_app = click.get_current_context().obj
    return make_app(ASYNC_MODE="threading")


@click.command(help="Run due jobs until stopped (several workers may run at once).")
def worker() -> None:
    app = _app()
    runner = app.extensions["ecabinet.jobs"]

    def stop(_signum: int, _frame: Any) -> None:
        runner.stop()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    with app.app_context():
        runner.run_forever()


@click.group(help="Inspect and manage durable jobs.")
def jobs() -> None:
    pass


@jobs.command("list", help="The latest jobs, newest first, with counts by state.")
@click.option("--state", default=None, help="queued, running, done, failed or cancelled")
@click.option("--kind", default=None)
@click.option("--limit", default=50, show_default=True)
def list_jobs(state: str | None, kind: str | None, limit: int) -> None:
    from ecabinet.jobs import service

    app = _app()
    with app.extensions["ecabinet.db"].unit_of_work(write=False) as session:
        counts = service.counts_by_state(session)
        rows = service.list_jobs(session, state=state, kind=kind, limit=limit)
        click.echo("  ".join(f"{name}: {n}" for name, n in counts.items()))
        for job in rows:
            error = job.last_error.strip().splitlines()[-1] if job.last_error.strip() else ""
            click.echo(
                f"{job.id:>7}  {job.state:<9} {job.kind:<24} attempts {job.attempts}/"
                f"{job.max_attempts}  {job.created_at:%Y-%m-%d %H:%M:%S}  {error[:80]}"
            )


@jobs.command("retry", help="Queue a failed or cancelled job again.")
@click.argument("job_id", type=int)
def retry(job_id: int) -> None:
    _change(job_id, "retry")


@jobs.command("cancel", help="Cancel a job that has not run yet.")
@click.argument("job_id", type=int)
def cancel(job_id: int) -> None:
    _change(job_id, "cancel")


@jobs.command("run", help="Run the jobs that are due now, then exit.")
def run_due() -> None:
    app = _app()
    with app.app_context():
        done = app.extensions["ecabinet.jobs"].drain()
    click.echo(f"Ran {done} job(s).")


def _change(job_id: int, action: str) -> None:
    from ecabinet.jobs import service

    app = _app()
    try:
        with app.extensions["ecabinet.db"].unit_of_work() as session:
            if action == "retry":
                service.retry(session, actor=SYSTEM, job_id=job_id)
            else:
                service.cancel(session, actor=SYSTEM, job_id=job_id)
    except AppError as exc:
        raise click.ClickException(exc.message) from None
    click.echo(f"Job {job_id}: {'queued again' if action == 'retry' else 'cancelled'}.")


COMMANDS = (worker, jobs)
