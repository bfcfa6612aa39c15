"""A corpus of malformed requests against every API write route: never a 500, always JSON."""

from __future__ import annotations

import re

from flask import Flask
from flask.testing import FlaskClient

from ecabinet.actor import Role
from ecabinet.db import Database
from tests.factories import PASSWORD, make_attendee, make_meeting, make_user

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


def test_no_malformed_request_gets_a_500(app: Flask, client: FlaskClient, app_db: Database) -> None:
    admin = make_user(app_db, Role.ADMIN)
    meeting = make_meeting(app_db)
    ids = {
        "meeting_id": meeting.id,
        "item_id": meeting.item_ids[0],
        "attendee_id": make_attendee(app_db, meeting),
        "document_id": 999_999,
    }
    token = client.post(
        "/api/v1/auth/tokens", json={"username": admin.username, "password": PASSWORD}
    ).json["token"]
    headers = {"Authorization": f"Bearer {token}"}
    checked = 0
    for rule in app.url_map.iter_rules():
        methods = (rule.methods or set()) & {"POST", "PATCH", "DELETE"}
        if not rule.rule.startswith("/api/v1/") or not methods or "tokens" in rule.rule:
            continue
        url = PARAM.sub(lambda m: str(ids[m.group(1)]), rule.rule)
        for method in sorted(methods):
            for body, content_type in BODIES:
                response = client.open(
                    url, method=method, data=body, content_type=content_type, headers=headers
                )
                assert response.status_code < 500, (method, url, body[:40], response.data[:200])
                if response.status_code >= 400:
                    error = response.json["error"]
                    assert error["code"], (method, url)
                    assert error["message"], (method, url)
                checked += 1
    assert checked > 100


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
