"""A corpus of malformed requests against every API write route: never a 500, always JSON."""

from __future__ import annotations

import re

from flask import Flask
from flask.testing import FlaskClient

from ecabinet.actor import Role
from ecabinet.db import Database
from ecabinet.documents.storage import Storage
from ecabinet.web import OPENAPI_ATTR
from tests.factories import (
    PASSWORD,
    make_alert,
    make_attendee,
    make_device,
    make_document,
    make_meeting,
    make_screen,
    make_user,
)

PARAM = re.compile(r"<int:(\w+)>")
BODIES: list[tuple[bytes, str]] = [
    (b"{not json", "application/json"),
    (b"\xff\xfe\x00garbage", "application/json"),
    (b"[]", "application/json"),
    (b'"chu\\u1ed7i"', "application/json"),
    (b"null", "application/json"),
    (b'{"title": 123, "position": "x", "item_id": [], "full_name": {}}', "application/json"),
    (b'{"title": "' + b"A" * 5000 + b'"}', "application/json"),
    (b'{"position": -1, "duration_minutes": 0, "starts_at": "h\\u00f4m qua"}', "application/json"),
    (b'{"item_id": 1e308, "chair_id": -5, "phone": "\\u0000"}', "application/json"),
    (b'{"a": ' * 200 + b"1" + b"}" * 200, "application/json"),
    (b'{"item_id": 100000000000000000000, "chair_id": 100000000000000000000}', "application/json"),
    (b'{"title": "Hop", "starts_at": "0001-01-01T00:00:00+07:00"}', "application/json"),
    (b'{"title": "Hop", "starts_at": "9999-12-31T23:59:00-10:00"}', "application/json"),
    (b'{"agenda_item_id": -1, "position": 100000000000000000000}', "application/json"),
    (b"title=x&position=1", "application/x-www-form-urlencoded"),
    (b"--x\r\nbroken multipart", "multipart/form-data; boundary=x"),
]


def write_routes(app: Flask) -> list[tuple[str, str, bool]]:
    """(rule, method, takes a body) for every API write route but token sign-in/out."""
    found = []
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1/") or "tokens" in rule.rule:
            continue
        if "<secret>" in rule.rule:  # an SMS gateway's callback: 404 without the secret path
            continue
        view = app.view_functions[rule.endpoint]
        doc = getattr(view, OPENAPI_ATTR, None) or {}
        for method in sorted((rule.methods or set()) & {"POST", "PATCH", "DELETE"}):
            takes_body = doc.get("body") is not None or bool(doc.get("multipart"))
            found.append((rule.rule, method, takes_body))
    return found


def url_with_fresh_objects(rule: str, app_db: Database, storage: Storage) -> str:
    """The rule with ids of objects that exist, new each time, so no case sees another's
    leftovers (a deleted meeting, an ended one)."""
    meeting = make_meeting(app_db)
    ids = {"meeting_id": meeting.id, "item_id": meeting.item_ids[0]}
    if "attendee_id" in rule or "device_id" in rule:
        ids["attendee_id"] = make_attendee(app_db, meeting)
    if "device_id" in rule:
        ids["device_id"] = make_device(app_db, meeting, ids["attendee_id"])
    if "alert_id" in rule:
        ids["alert_id"] = make_alert(app_db, meeting, make_attendee(app_db, meeting))
    if "document_id" in rule:
        ids["document_id"] = make_document(app_db, storage, meeting).id
    if "user_id" in rule:
        ids["user_id"] = meeting.chair.id
    if "screen_id" in rule:
        ids["screen_id"] = make_screen(app_db, meeting)[0]
    return PARAM.sub(lambda m: str(ids[m.group(1)]), rule)


def test_every_malformed_body_reaches_the_handlers_validation(
    app: Flask, client: FlaskClient, app_db: Database, app_storage: Storage
) -> None:
    """Each route that takes a body gets every case against objects that exist, and each is
    refused by the handler's validation: a 4xx with a code, never a 404 or a 5xx."""
    admin = make_user(app_db, Role.ADMIN)
    token = client.post(
        "/api/v1/auth/tokens", json={"username": admin.username, "password": PASSWORD}
    ).json["token"]
    headers = {"Authorization": f"Bearer {token}"}
    with_body = [(rule, method) for rule, method, body in write_routes(app) if body]
    assert len(with_body) >= 9, with_body
    for rule, method in with_body:
        url = url_with_fresh_objects(rule, app_db, app_storage)
        for body, content_type in BODIES:
            response = client.open(
                url, method=method, data=body, content_type=content_type, headers=headers
            )
            where = (method, rule, body[:50], response.data[:200])
            assert 400 <= response.status_code < 500, where
            assert response.status_code not in (401, 403, 404), where
            error = response.json["error"]
            assert error["code"], where
            assert error["message"], where


def test_routes_without_a_body_ignore_a_malformed_one(
    app: Flask, client: FlaskClient, app_db: Database, app_storage: Storage
) -> None:
    admin = make_user(app_db, Role.ADMIN)
    token = client.post(
        "/api/v1/auth/tokens", json={"username": admin.username, "password": PASSWORD}
    ).json["token"]
    headers = {"Authorization": f"Bearer {token}"}
    without = [(rule, method) for rule, method, body in write_routes(app) if not body]
    assert len(without) >= 8, without
    for rule, method in without:
        for body, content_type in BODIES[:4]:  # the body is not read: a few cases suffice
            url = url_with_fresh_objects(rule, app_db, app_storage)
            response = client.open(
                url, method=method, data=body, content_type=content_type, headers=headers
            )
            where = (method, rule, body[:50], response.data[:200])
            assert response.status_code < 400 or response.status_code == 409, where


def test_ids_beyond_the_id_columns_are_404_for_every_method(
    client: FlaskClient, app_db: Database
) -> None:
    """Past PostgreSQL's integer an id used to reach the driver (a 500 there, found by the
    fuzz run), and a refused id made werkzeug answer 405 for the path's other methods."""
    admin = make_user(app_db, Role.ADMIN)
    token = client.post(
        "/api/v1/auth/tokens", json={"username": admin.username, "password": PASSWORD}
    ).json["token"]
    headers = {"Authorization": f"Bearer {token}"}
    for huge in (2**31, 2**52, 2**63, 10**20):
        for method, url in (
            ("GET", f"/api/v1/meetings/{huge}"),
            ("PATCH", f"/api/v1/meetings/{huge}"),
            ("DELETE", f"/api/v1/meetings/{huge}"),
            ("POST", f"/api/v1/meetings/{huge}/attendees"),
            ("POST", f"/api/v1/meetings/{huge}/agenda"),
            ("GET", f"/documents/{huge}/file"),
            ("PATCH", f"/api/v1/agenda/{huge}"),
        ):
            response = client.open(url, method=method, headers=headers, json={"title": "x"})
            assert response.status_code == 404, (method, url, response.json)
            if url.startswith("/api/"):
                assert response.json["error"]["code"] == "not_found", (method, url)
