"""The administrator's view of jobs: counts by state, the latest jobs, retry and cancel."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from ecabinet.errors import Conflict
from ecabinet.jobs import service
from ecabinet.jobs.models import JobState
from ecabinet.permissions import Perm
from ecabinet.web import actor_or_401, database, requires

bp = Blueprint("jobs", __name__)


@bp.route("/admin/jobs")
@requires(Perm.MANAGE_USERS)
def jobs_page() -> str:
    state = request.args.get("state") or None
    if state not in (None, *[s.value for s in JobState]):
        state = None
    with database().unit_of_work(write=False) as db_session:
        counts = service.counts_by_state(db_session)
        jobs = service.list_jobs(db_session, state=state)
    runner = current_app.extensions["ecabinet.jobs"]
    return render_template(
        "jobs/list.html", counts=counts, jobs=jobs, state=state, kinds=sorted(runner.handlers)
    )


@bp.route("/admin/jobs/<int:job_id>/retry", methods=["POST"])
@requires(Perm.MANAGE_USERS)
def retry(job_id: int) -> Response:
    return _change(job_id, "retry")


@bp.route("/admin/jobs/<int:job_id>/cancel", methods=["POST"])
@requires(Perm.MANAGE_USERS)
def cancel(job_id: int) -> Response:
    return _change(job_id, "cancel")


def _change(job_id: int, action: str) -> Response:
    try:
        with database().unit_of_work() as db_session:
            if action == "retry":
                service.retry(db_session, actor=actor_or_401(), job_id=job_id)
            else:
                service.cancel(db_session, actor=actor_or_401(), job_id=job_id)
        flash("Đã chạy lại việc." if action == "retry" else "Đã hủy việc.", "success")
    except Conflict as exc:
        flash(exc.message, "error")
    return redirect(url_for("jobs.jobs_page"))
