"""Messages that follow a meeting by themselves once its invitations went out: a reminder
before the start (moved with the meeting, kept across a restart), one change notice per
delegate for the edits of a window, nothing for a deleted meeting."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from pytest_httpserver import HTTPServer
from sqlalchemy import update
from sqlmodel import col, select
from werkzeug import Request, Response

from ecabinet.agenda import service as agenda
from ecabinet.agenda.schemas import AgendaItemCreate, AgendaItemUpdate
from ecabinet.db import Database
from ecabinet.jobs.models import Job
from ecabinet.meetings import lifecycle
from ecabinet.meetings import service as meetings
from ecabinet.meetings.schemas import MeetingUpdate
from ecabinet.notify.models import SmsMessage
from ecabinet.timeutil import utcnow
from tests.conftest import Login, app_config, run_jobs
from tests.factories import MeetingFixture, make_attendee

PUBLIC_URL = "http://10.0.0.5:5000"


class Phone:
    def __init__(self, server: HTTPServer) -> None:
        self.texts: list[tuple[str, str]] = []
        server.expect_request("/message", method="POST").respond_with_handler(self.take)

    def take(self, request: Request) -> Response:
        body = request.get_json()
        self.texts.append((body["phoneNumbers"][0], body["message"]))
        return Response(json.dumps({"id": body["id"], "state": "Pending"}), status=202)


def make_app(db_url: str, tmp_path: Path, server: HTTPServer) -> Flask:
    from ecabinet.app import create_app

    return create_app(
        app_config(
            db_url,
            tmp_path,
            PUBLIC_URL=PUBLIC_URL,
            SMS_GATEWAY="http-json",
            SMS_OPTIONS={"URL": server.url_for("/")},
            SMS_REMINDER_HOURS=2,
            SMS_CHANGE_WINDOW_MINUTES=10,
        )
    )


@pytest.fixture
def app(db_url: str, tmp_path: Path, httpserver: HTTPServer) -> Iterator[Flask]:
    application = make_app(db_url, tmp_path, httpserver)
    yield application
    application.extensions["ecabinet.live"].close()
    application.extensions["ecabinet.db"].dispose()


@pytest.fixture
def phone(httpserver: HTTPServer) -> Phone:
    return Phone(httpserver)


def invite(app: Flask, client: FlaskClient, app_db: Database, meeting: MeetingFixture) -> str:
    make_attendee(app_db, meeting, name="Nguyễn Thị Hường", phone="0912345678")
    make_attendee(app_db, meeting, name="Trần Văn Đức", phone="0983000111")
    make_attendee(app_db, meeting, name="Không mời", phone="")
    with app_db.unit_of_work() as session:
        lifecycle.publish(session, actor=meeting.secretary.actor, meeting_id=meeting.id)
    csrf = Login(client).as_staff(meeting.secretary)
    sent = client.post(
        f"/api/v1/meetings/{meeting.id}/sms",
        json={"kind": "invitation"},
        headers={"X-CSRFToken": csrf},
    )
    assert sent.status_code == 202, sent.json
    run_jobs(app)
    return csrf


def jobs_of(app_db: Database, kind: str) -> list[Job]:
    with app_db.unit_of_work(write=False) as session:
        return list(session.exec(select(Job).where(Job.kind == kind).order_by(col(Job.id))))


def come_due(app_db: Database, kind: str) -> None:
    """Time passes: the queued jobs of this kind are due now."""
    with app_db.unit_of_work() as session:
        session.execute(
            update(Job)
            .where(col(Job.kind) == kind, col(Job.state) == "queued")
            .values(run_at=utcnow() - timedelta(seconds=1))
        )


def kinds_sent(app_db: Database) -> list[str]:
    with app_db.unit_of_work(write=False) as session:
        return [m.kind for m in session.exec(select(SmsMessage).order_by(col(SmsMessage.id)))]


def test_a_reminder_goes_before_the_start_and_follows_the_meeting(
    app: Flask,
    client: FlaskClient,
    app_db: Database,
    meeting: MeetingFixture,
    phone: Phone,
    db_url: str,
    tmp_path: Path,
    httpserver: HTTPServer,
) -> None:
    invite(app, client, app_db, meeting)
    assert len(phone.texts) == 2
    (reminder,) = jobs_of(app_db, "notify.remind")
    with app_db.unit_of_work(write=False) as session:
        starts = meetings.get_meeting(session, meeting.id).starts_at
    assert starts is not None
    assert abs((reminder.run_at - (starts - timedelta(hours=2))).total_seconds()) < 1
    # The secretary moves the meeting a day later: a reminder for the new time is queued.
    with app_db.unit_of_work() as session:
        meetings.update_meeting(
            session,
            actor=meeting.secretary.actor,
            meeting_id=meeting.id,
            data=MeetingUpdate(starts_at=starts + timedelta(days=1)),
        )
    assert len(jobs_of(app_db, "notify.remind")) == 2
    # A restart: another process on the same database sends what comes due.
    app.extensions["ecabinet.live"].close()
    again = make_app(db_url, tmp_path / "restarted", httpserver)
    try:
        come_due(app_db, "notify.remind")
        come_due(app_db, "notify.change")
        run_jobs(again)
        reminders = [t for t in phone.texts if "Nhac lich" in t[1]]
        assert len(reminders) == 2  # one each, for the new time only
        assert all("/p/" in text for _, text in reminders)
        assert kinds_sent(app_db).count("reminder") == 2
    finally:
        again.extensions["ecabinet.live"].close()
        again.extensions["ecabinet.db"].dispose()


def test_edits_within_the_window_make_one_notice_each(
    app: Flask, client: FlaskClient, app_db: Database, meeting: MeetingFixture, phone: Phone
) -> None:
    # Edits before the invitations are nobody's news.
    with app_db.unit_of_work() as session:
        agenda.update_item(
            session,
            actor=meeting.secretary.actor,
            item_id=meeting.item_ids[0],
            data=AgendaItemUpdate(title="Trước khi mời"),
        )
    invite(app, client, app_db, meeting)
    assert jobs_of(app_db, "notify.change") == []
    with app_db.unit_of_work() as session:
        agenda.add_item(
            session,
            actor=meeting.secretary.actor,
            meeting_id=meeting.id,
            data=AgendaItemCreate(title="Kiện toàn nhân sự"),
        )
    with app_db.unit_of_work() as session:
        agenda.delete_item(session, actor=meeting.secretary.actor, item_id=meeting.item_ids[2])
    with app_db.unit_of_work() as session:
        meetings.update_meeting(
            session,
            actor=meeting.secretary.actor,
            meeting_id=meeting.id,
            data=MeetingUpdate(location="Hội trường tầng 2"),
        )
    assert len(jobs_of(app_db, "notify.change")) == 1  # three edits, one notice to come
    run_jobs(app)
    assert len(phone.texts) == 2  # not before the window ends
    come_due(app_db, "notify.change")
    run_jobs(app)
    notices = [text for _, text in phone.texts[2:]]
    assert len(notices) == 2
    for text in notices:
        assert "Kien toan nhan su" in text
        assert "bo noi dung" in text
        assert "doi dia diem" in text
        assert "Hoi truong tang 2" in text  # the place as it is now
    assert kinds_sent(app_db).count("change") == 2


def test_nothing_is_sent_for_a_meeting_once_it_is_deleted(
    app: Flask, client: FlaskClient, app_db: Database, meeting: MeetingFixture, phone: Phone
) -> None:
    make_attendee(app_db, meeting, phone="0912345678")
    with app_db.unit_of_work() as session:
        lifecycle.publish(session, actor=meeting.secretary.actor, meeting_id=meeting.id)
    csrf = Login(client).as_staff(meeting.secretary)
    client.post(
        f"/api/v1/meetings/{meeting.id}/sms",
        json={"kind": "invitation"},
        headers={"X-CSRFToken": csrf},
    )
    with app_db.unit_of_work() as session:
        lifecycle.unpublish(session, actor=meeting.secretary.actor, meeting_id=meeting.id)
    with app_db.unit_of_work() as session:
        meetings.delete_meeting(session, actor=meeting.secretary.actor, meeting_id=meeting.id)
    run_jobs(app)
    assert phone.texts == []
    with app_db.unit_of_work(write=False) as session:
        states: list[Any] = [m.state for m in session.exec(select(SmsMessage))]
    assert states == ["cancelled"]
