"""The administrator's jobs page: counts by state, and retry or cancel by hand."""

from __future__ import annotations

import re

from flask.testing import FlaskClient

from ecabinet.actor import Role
from ecabinet.db import Database
from ecabinet.jobs import service as jobs
from ecabinet.jobs.models import Job, JobState
from tests.conftest import Login
from tests.factories import make_user


def test_administrators_see_jobs_by_state_and_retry_a_failed_one(
    client: FlaskClient, login: Login, app_db: Database
) -> None:
    with app_db.unit_of_work() as session:
        failed = jobs.enqueue(session, "documents.inspect", {"document_id": 404}, max_attempts=1)
        waiting = jobs.enqueue(session, "documents.inspect", {"document_id": 405})
    with app_db.unit_of_work() as session:
        job = session.get(Job, failed)
        assert job is not None
        job.state, job.last_error = JobState.FAILED, "tệp không còn"
        session.add(job)
    csrf = login.as_staff(make_user(app_db, Role.ADMIN))
    page = client.get("/admin/jobs").get_data(as_text=True)
    assert "Việc chạy nền" in page
    assert re.search(r"Lỗi: <strong>1</strong>", page)
    assert re.search(r"Đang chờ: <strong>1</strong>", page)
    assert "tệp không còn" in page
    assert client.post(f"/admin/jobs/{failed}/retry", data={"csrf_token": csrf}).status_code == 302
    assert (
        client.post(f"/admin/jobs/{waiting}/cancel", data={"csrf_token": csrf}).status_code == 302
    )
    with app_db.unit_of_work(write=False) as session:
        assert session.get(Job, failed).state == JobState.QUEUED
        assert session.get(Job, waiting).state == JobState.CANCELLED
    again = client.post(
        f"/admin/jobs/{waiting}/cancel", data={"csrf_token": csrf}, follow_redirects=True
    )
    assert "Chỉ hủy được việc đang chờ." in again.get_data(as_text=True)


def test_other_staff_cannot_see_jobs(client: FlaskClient, login: Login, app_db: Database) -> None:
    login.as_staff(make_user(app_db, Role.SECRETARY))
    assert client.get("/admin/jobs").status_code == 403
    assert "Việc chạy nền" not in client.get("/meetings").get_data(as_text=True)
