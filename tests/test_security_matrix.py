"""Every route and socket event declares who may use it, and outsiders get nothing.

The start of the authorisation matrix (shared/notes/security.md, threats 1 and 2): a route or event
without a declared permission fails here, and every object route answers 404 to staff and
attendees of another meeting, with no side effect.
"""

from __future__ import annotations

import inspect
import re

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlmodel import func, select

from ecabinet.actor import Actor, Role
from ecabinet.agenda.models import AgendaItem
from ecabinet.attendees.models import Attendee
from ecabinet.db import Database
from ecabinet.documents.models import Document
from ecabinet.documents.storage import Storage
from ecabinet.jobs.models import Job
from ecabinet.live import screens
from ecabinet.live.namespace import LiveNamespace
from ecabinet.meetings.models import Meeting
from ecabinet.permissions import PERM_ATTR, Perm
from tests.conftest import Login
from tests.factories import (
    make_alert,
    make_attendee,
    make_device,
    make_document,
    make_meeting,
    make_printout,
    make_screen,
    make_token,
)

PARAM = re.compile(r"<(?:int:)?(\w+)>")
# `<any(publish, unpublish):action>`: every option is a route of its own.
CHOICE = re.compile(r"<any\(([^)]*)\):\w+>")


def expand(rule: str) -> list[str]:
    """The rule once per option of its `any(...)` converter (or as it is)."""
    match = CHOICE.search(rule)
    if match is None:
        return [rule]
    options = [o.strip() for o in match.group(1).split(",")]
    return [rule[: match.start()] + option + rule[match.end() :] for option in options]


def routes(app: Flask) -> list[tuple[str, str, str]]:
    """(rule, method, endpoint) for every route but static files."""
    return [
        (expanded, method, rule.endpoint)
        for rule in app.url_map.iter_rules()
        if rule.endpoint != "static"
        for expanded in expand(rule.rule)
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"})
    ]


def perm_of(app: Flask, endpoint: str) -> Perm | None:
    return getattr(app.view_functions[endpoint], PERM_ATTR, None)


def test_every_route_declares_a_permission(app: Flask) -> None:
    missing = [
        f"{method} {rule}"
        for rule, method, endpoint in routes(app)
        if perm_of(app, endpoint) is None
    ]
    assert missing == [], f"routes without @requires: {missing}"


def test_every_socket_event_declares_a_permission() -> None:
    handlers = [
        name
        for name, _ in inspect.getmembers(LiveNamespace, inspect.isfunction)
        if name.startswith("on_") and name not in ("on_connect", "on_disconnect")
    ]
    assert handlers, "the namespace has event handlers"
    missing = [
        name for name in handlers if getattr(getattr(LiveNamespace, name), PERM_ATTR, None) is None
    ]
    assert missing == []


def test_public_routes_are_the_expected_few(app: Flask) -> None:
    public = sorted(
        {rule for rule, _m, endpoint in routes(app) if perm_of(app, endpoint) == Perm.PUBLIC}
    )
    assert public == [
        "/",
        "/api/v1/auth/tokens",
        "/api/v1/openapi.json",
        "/api/v1/sms/callback/<secret>",  # an SMS gateway calling back: the path is the secret
        "/healthz",
        "/login",
        "/logout",
        "/m/<code>",
        "/m/<code>/qr.png",
        "/ma",
        "/p/<token>",
        "/p/<token>/qr.png",
        "/screen",  # a room screen before pairing: shows a code, holds no credential yet
        "/screen/status",
        "/v/<code>",
    ]


def _counts(database: Database, meeting_id: int) -> tuple[int, ...]:
    with database.unit_of_work(write=False) as session:
        meeting = session.get(Meeting, meeting_id)
        assert meeting is not None
        counts = tuple(
            int(
                session.exec(
                    select(func.count()).select_from(model).where(model.meeting_id == meeting_id)
                ).one()
            )
            for model in (AgendaItem, Document, Attendee)
        )
        return (meeting.version, *counts)


@pytest.fixture
def target(app_db: Database, app_storage: Storage) -> dict[str, int | str]:
    """Meeting A with one of everything, whose ids the outsiders try."""
    meeting = make_meeting(app_db)
    document = make_document(app_db, app_storage, meeting)
    with app_db.unit_of_work(write=False) as session:
        job_id = session.exec(select(Job.id)).first()  # the document's inspection
    assert job_id is not None
    return {
        "meeting_id": meeting.id,
        "item_id": meeting.item_ids[0],
        "document_id": document.id,
        "number": 1,  # the document's first revision (and first page)
        "sha256": document.sha256,  # the PDF its page images show
        "attendee_id": (attendee_id := make_attendee(app_db, meeting, phone="0912111222")),
        "device_id": make_device(app_db, meeting, attendee_id),
        "printout_id": make_printout(app_db, app_storage, meeting),
        "alert_id": make_alert(app_db, meeting, make_attendee(app_db, meeting, name="Lê Thị Hai")),
        "job_id": job_id,
        "screen_id": make_screen(app_db, meeting)[0],
        "user_id": meeting.secretary.id,  # accounts: administrators only, 403 to the others
    }


def _object_routes(app: Flask) -> list[tuple[str, str, str]]:
    return [
        (rule, method, endpoint)
        for rule, method, endpoint in routes(app)
        if PARAM.search(rule) and not any(p in rule for p in ("<token>", "<code>", "<secret>"))
    ]


def _send(client: FlaskClient, method: str, url: str, csrf: str | None) -> int:
    headers = {"X-CSRFToken": csrf} if csrf else {}
    if url.startswith("/api/"):
        response = client.open(url, method=method, json={}, headers=headers)
    else:
        data = {"csrf_token": csrf} if csrf else {}
        response = client.open(url, method=method, data=data, headers=headers)
    response.close()
    return response.status_code


def test_other_meetings_staff_get_404_and_change_nothing(
    app: Flask, client: FlaskClient, login: Login, app_db: Database, target: dict[str, int | str]
) -> None:
    outsider = make_meeting(app_db)  # its secretary and chair belong to another meeting
    before = _counts(app_db, int(target["meeting_id"]))
    for staff in (outsider.secretary, outsider.chair):
        csrf = login.as_staff(staff)
        for rule, method, endpoint in _object_routes(app):
            url = PARAM.sub(lambda m: str(target[m.group(1)]), rule)
            # Jobs belong to no meeting: their routes are for administrators, 403 to others.
            expected = 403 if perm_of(app, endpoint) == Perm.MANAGE_USERS else 404
            assert _send(client, method, url, csrf) == expected, f"{staff.role} {method} {url}"
    assert _counts(app_db, int(target["meeting_id"])) == before


def test_attendees_of_other_meetings_get_nothing(
    app: Flask, client: FlaskClient, app_db: Database, target: dict[str, int | str]
) -> None:
    outsider = make_meeting(app_db)
    client.get(f"/p/{make_token(app_db, outsider)}")
    before = _counts(app_db, int(target["meeting_id"]))
    csrf = re.search(
        r'csrf-token" content="([^"]+)"', client.get("/tablet").get_data(as_text=True)
    ).group(1)
    for rule, method, _endpoint in _object_routes(app):
        url = PARAM.sub(lambda m: str(target[m.group(1)]), rule)
        assert _send(client, method, url, csrf) in (403, 404), f"attendee {method} {url}"
    assert _counts(app_db, int(target["meeting_id"])) == before


def test_anonymous_reaches_only_public_routes(
    app: Flask, client: FlaskClient, target: dict[str, int | str]
) -> None:
    for rule, method, endpoint in routes(app):
        if perm_of(app, endpoint) == Perm.PUBLIC or "<token>" in rule:
            continue
        url = PARAM.sub(lambda m: str(target[m.group(1)]), rule)
        status = _send(client, method, url, None)
        if url.startswith("/api/"):
            assert status == 401, f"{method} {url} -> {status}"
        else:  # pages: GET redirects to the login page; forged POSTs fail the CSRF check first
            assert status in (302, 400), f"{method} {url} -> {status}"


def test_a_paired_room_screen_reaches_nothing_but_its_room(
    app: Flask, client: FlaskClient, app_db: Database, target: dict[str, int | str]
) -> None:
    """A screen paired to the very meeting these objects belong to: every route but the
    public ones refuses it (it sees the room through its socket only); it changes nothing."""
    code = re.search(r'class="pair-code">(\d{3}) (\d{3})<', client.get("/screen").get_data(True))
    assert code is not None
    with app_db.unit_of_work() as session:
        meeting_id = int(target["meeting_id"])
        meeting = session.get(Meeting, meeting_id)
        assert meeting is not None
        assert meeting.chair_id is not None
        screens.pair_screen(
            session,
            actor=Actor.staff(meeting.chair_id, Role.CHAIR),
            meeting_id=meeting_id,
            code=code.group(1) + code.group(2),
        )
    assert 'data-role="screen"' in client.get("/screen").get_data(True)
    csrf = re.search(r'csrf-token" content="([^"]+)"', client.get("/screen").get_data(True))
    assert csrf is not None
    before = _counts(app_db, meeting_id)
    for rule, method, endpoint in routes(app):
        if perm_of(app, endpoint) == Perm.PUBLIC or "<token>" in rule or "<secret>" in rule:
            continue
        url = PARAM.sub(lambda m: str(target[m.group(1)]), rule)
        status = _send(client, method, url, csrf.group(1))
        assert status in (302, 403, 404), f"screen {method} {url} -> {status}"
    assert _counts(app_db, meeting_id) == before
