"""Entering by card over HTTP: the typed code page, the same Vietnamese page for every card
that opens nothing, throttling that refuses guesses before checking them, and the refusal of
a second device on a confidential meeting with its alert for the secretary."""

from __future__ import annotations

import re

from flask import Flask
from flask.testing import FlaskClient

from ecabinet.db import Database
from ecabinet.meetings.models import Meeting
from ecabinet.pickup import service as pickup
from ecabinet.pickup.http import code_key
from tests.conftest import Login
from tests.factories import MeetingFixture, make_attendee


def card(
    app: Flask, app_db: Database, meeting: MeetingFixture, name: str = "Nguyễn Văn An"
) -> pickup.IssuedToken:
    attendee_id = make_attendee(app_db, meeting, name=name)
    with app.test_request_context():
        key = code_key()
    with app_db.unit_of_work() as session:
        return pickup.issue_token(
            session,
            actor=meeting.secretary.actor,
            attendee_id=attendee_id,
            lifetime=pickup.AccessWindow(),
            code_key=key,
        )


def csrf_of(client: FlaskClient, path: str) -> str:
    page = client.get(path).get_data(as_text=True)
    match = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert match
    return match.group(1)


def type_code(client: FlaskClient, code: str) -> tuple[int, str]:
    response = client.post("/ma", data={"code": code, "csrf_token": csrf_of(client, "/ma")})
    return response.status_code, response.headers.get("Location", "") or response.get_data(
        as_text=True
    )


def test_the_typed_code_opens_the_tablet_with_no_token_kept(
    app: Flask, client: FlaskClient, app_db: Database, meeting: MeetingFixture
) -> None:
    issued = card(app, app_db, meeting, name="Phạm Thị Hoa")
    page = client.get("/ma").get_data(as_text=True)
    assert "nhập mã trên thẻ" in page
    status, where = type_code(client, issued.code.lower().replace("-", " "))
    assert (status, where) == (302, "/tablet")
    assert "Phạm Thị Hoa" in client.get("/tablet").get_data(as_text=True)


def test_a_wrong_code_shows_the_form_again_with_the_same_words_as_a_bad_card(
    app: Flask, client: FlaskClient, app_db: Database, meeting: MeetingFixture
) -> None:
    status, page = type_code(client, "AAAAA-BBBBB")
    assert status == 404
    assert "Thẻ không hợp lệ hoặc đã hết hạn" in page
    assert 'value="AAAAA-BBBBB"' in page  # what was typed stays to be corrected
    # Unknown, reprinted and expired cards get one page, which offers the code instead.
    old = card(app, app_db, meeting)
    with app_db.unit_of_work() as session:
        pickup.revoke_tokens(session, attendee_id=old.attendee_id)
    pages = [
        client.get(path, headers={"Accept": "text/html"})
        for path in ("/p/AAAAAAAAAAAAAAAAAAAAAA", f"/p/{old.raw}")
    ]
    assert {p.status_code for p in pages} == {404}
    bodies = [re.sub(r"\s+", " ", p.get_data(as_text=True)) for p in pages]
    assert bodies[0] == bodies[1]
    assert "Thẻ không hợp lệ hoặc đã hết hạn" in bodies[0]
    assert 'href="/ma"' in bodies[0]


def test_guessing_is_refused_before_it_is_checked(
    app: Flask, client: FlaskClient, app_db: Database, meeting: MeetingFixture
) -> None:
    """Once an address is over its limit, even the right code is refused from it (a throttle
    that still checked each guess would only slow the answers down); another address in the
    room still gets in."""
    app.config["PICKUP_FAILURE_LIMIT"] = "5 per minute"
    issued = card(app, app_db, meeting)
    statuses = [type_code(client, f"AAAAA-AAAA{n}")[0] for n in range(6)]
    assert statuses == [404] * 5 + [429]
    assert type_code(client, issued.code)[0] == 429
    assert client.get(f"/p/{issued.raw}").status_code == 429
    neighbour = app.test_client()
    neighbour.environ_base["REMOTE_ADDR"] = "10.0.0.42"
    assert type_code(neighbour, issued.code) == (302, "/tablet")


def test_wrong_codes_from_many_addresses_share_one_limit_but_qr_cards_still_open(
    app: Flask, app_db: Database, meeting: MeetingFixture
) -> None:
    app.config["PICKUP_CODE_GLOBAL_LIMIT"] = "8 per minute"
    issued = card(app, app_db, meeting)
    statuses = []
    for n in range(10):
        guesser = app.test_client()
        guesser.environ_base["REMOTE_ADDR"] = f"10.1.0.{n + 1}"
        statuses.append(type_code(guesser, f"AAAAA-AAAA{n}")[0])
    assert statuses == [404] * 8 + [429] * 2
    tablet = app.test_client()
    tablet.environ_base["REMOTE_ADDR"] = "10.2.0.1"
    assert type_code(tablet, issued.code)[0] == 429  # typed codes wait out the flood
    assert tablet.get(f"/p/{issued.raw}").headers["Location"] == "/tablet"  # the QR does not


def test_a_second_device_on_a_confidential_meeting_is_refused_and_the_secretary_releases_it(
    app: Flask, client: FlaskClient, login: Login, app_db: Database, meeting: MeetingFixture
) -> None:
    with app_db.unit_of_work() as session:
        row = session.get(Meeting, meeting.id)
        assert row is not None
        row.confidentiality = "mat"
    issued = card(app, app_db, meeting, name="Đỗ Văn Bảo")
    first = app.test_client()
    assert first.get(f"/p/{issued.raw}").headers["Location"] == "/tablet"
    forwarded = app.test_client()  # a photo of the QR, on another phone
    forwarded.environ_base["REMOTE_ADDR"] = "10.0.0.99"
    refused = forwarded.get(f"/p/{issued.raw}", headers={"Accept": "text/html"})
    assert refused.status_code == 403
    assert "đã được dùng trên một máy khác" in refused.get_data(as_text=True)
    assert forwarded.get("/tablet").status_code == 302  # nothing opened
    csrf = login.as_staff(meeting.secretary)
    workspace = client.get(f"/meetings/{meeting.id}").get_data(as_text=True)
    assert "thẻ dùng trên máy thứ hai" in workspace
    assert "10.0.0.99" in workspace
    alert_id = re.search(r'id="pickup-alert-(\d+)"', workspace).group(1)
    api = client.get(f"/api/v1/meetings/{meeting.id}/pickup-alerts").get_json()
    assert [a["attendee_name"] for a in api] == ["Đỗ Văn Bảo"]
    released = client.post(f"/pickup-alerts/{alert_id}/release", data={"csrf_token": csrf})
    assert released.status_code == 302
    assert first.get("/tablet").status_code == 302  # the first device is cut off
    assert forwarded.get(f"/p/{issued.raw}").headers["Location"] == "/tablet"
    assert "thẻ dùng trên máy thứ hai" not in client.get(f"/meetings/{meeting.id}").get_data(
        as_text=True
    )
