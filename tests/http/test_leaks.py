"""What an outside attack found over HTTP: phones shown to the chair, links built from a
client-chosen Host header, and a tablet link silently ending a staff session."""

from __future__ import annotations

import re
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlmodel import select

from ecabinet.db import Database
from ecabinet.pickup.models import AttendeeToken
from tests.conftest import Login
from tests.factories import MeetingFixture, make_attendee, make_token
from tests.http.test_api import bearer

PHONE_FORMS = ("+84912111222", "0912111222", "912111222", "0912 111 222")


def test_the_chair_sees_who_attends_but_no_phone_numbers(
    client: FlaskClient, login: Login, app_db: Database, meeting: MeetingFixture
) -> None:
    make_attendee(app_db, meeting, name="Trần Thị Bình", phone="0912 111 222")
    login.as_staff(meeting.chair)
    page = client.get(f"/meetings/{meeting.id}").get_data(as_text=True)
    assert "Trần Thị Bình" in page
    assert not [form for form in PHONE_FORMS if form in page]
    assert "Điện thoại" not in page
    listed = client.get(f"/api/v1/meetings/{meeting.id}/attendees")
    assert listed.status_code == 200
    assert listed.json[0]["full_name"] == "Trần Thị Bình"
    assert listed.json[0]["phone"] is None


def test_the_secretary_sees_phone_numbers_on_the_page_and_in_the_api(
    client: FlaskClient, login: Login, app_db: Database, meeting: MeetingFixture
) -> None:
    make_attendee(app_db, meeting, name="Trần Thị Bình", phone="0912 111 222")
    login.as_staff(meeting.secretary)
    # On the page as people read it, in the API as E.164.
    assert "0912 111 222" in client.get(f"/meetings/{meeting.id}").get_data(as_text=True)
    listed = client.get(f"/api/v1/meetings/{meeting.id}/attendees")
    assert listed.json[0]["phone"] == "+84912111222"


def test_delegates_cannot_list_attendees(
    client: FlaskClient, app_db: Database, meeting: MeetingFixture
) -> None:
    make_attendee(app_db, meeting, phone="0912 111 222")
    client.get(f"/p/{make_token(app_db, meeting)}")
    listed = client.get(f"/api/v1/meetings/{meeting.id}/attendees")
    assert listed.status_code == 403
    assert listed.json["error"]["code"] == "forbidden"


def issue(client: FlaskClient, meeting: MeetingFixture, host: str) -> tuple[int, Any]:
    attendee_id = make_attendee(client.application.extensions["ecabinet.db"], meeting)
    response = client.post(
        f"/api/v1/attendees/{attendee_id}/link",
        headers={**bearer(client, meeting.secretary.username), "Host": host},
    )
    return response.status_code, response.json


def test_a_poisoned_host_header_gets_no_link(
    client: FlaskClient, app_db: Database, meeting: MeetingFixture
) -> None:
    earlier = make_token(app_db, meeting)  # a link already handed out
    status, body = issue(client, meeting, "evil.example")
    assert status == 409
    assert body["error"]["code"] == "public_url_not_set"
    assert "ECABINET_PUBLIC_URL" in body["error"]["message"]
    assert "evil.example/p/" not in str(body)
    with app_db.unit_of_work(write=False) as session:
        assert all(t.revoked_at is None for t in session.exec(select(AttendeeToken)))
    assert client.get(f"/p/{earlier}").status_code == 302  # nothing was revoked


def test_links_use_public_url_whatever_the_host_header(
    app: Flask, client: FlaskClient, meeting: MeetingFixture
) -> None:
    app.config["PUBLIC_URL"] = "http://192.168.10.5:5000/"
    status, body = issue(client, meeting, "evil.example")
    assert status == 201
    assert body["url"].startswith("http://192.168.10.5:5000/p/")
    assert body["qr_png_url"].startswith("http://192.168.10.5:5000/p/")


def test_listed_hosts_and_loopback_may_build_links(
    app: Flask, client: FlaskClient, meeting: MeetingFixture
) -> None:
    app.config["PUBLIC_HOSTS"] = ["hop.tinhuy.vn"]
    for host, prefix in [
        ("hop.tinhuy.vn", "http://hop.tinhuy.vn/p/"),
        ("hop.tinhuy.vn:8080", "http://hop.tinhuy.vn:8080/p/"),
        ("127.0.0.1:5000", "http://127.0.0.1:5000/p/"),
        ("[::1]:5000", "http://[::1]:5000/p/"),
        ("localhost", "http://localhost/p/"),
    ]:
        status, body = issue(client, meeting, host)
        assert status == 201, (host, body)
        assert body["url"].startswith(prefix)
    for host in ("hop.tinhuy.vn.evil.example", "evil.example:80", "127.0.0.1.evil.example"):
        assert issue(client, meeting, host)[0] == 409, host


def test_a_staff_browser_is_asked_before_a_tablet_link_ends_its_session(
    client: FlaskClient, login: Login, app_db: Database, meeting: MeetingFixture
) -> None:
    login.as_staff(meeting.secretary)
    token = make_token(app_db, meeting)
    asked = client.get(f"/p/{token}")
    assert asked.status_code == 200
    page = asked.get_data(as_text=True)
    assert "Bạn đang đăng nhập với tư cách" in page
    assert client.get("/meetings").status_code == 200  # the GET changed nothing
    forged = client.post(f"/p/{token}")  # no CSRF token: another site cannot switch it
    assert forged.status_code == 400
    assert client.get("/meetings").status_code == 200
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert csrf is not None
    switched = client.post(f"/p/{token}", data={"csrf_token": csrf.group(1)})
    assert switched.status_code == 302
    assert switched.headers["Location"] == "/tablet"
    assert client.get("/tablet").status_code == 200


def test_a_tablet_browser_on_a_staff_page_is_told_why(
    client: FlaskClient, app_db: Database, meeting: MeetingFixture
) -> None:
    client.get(f"/p/{make_token(app_db, meeting)}")
    page = client.get("/meetings")
    assert page.status_code == 403
    html = page.get_data(as_text=True)
    assert "liên kết của đại biểu" in html
    assert 'href="/login"' in html


def test_a_fresh_browser_opens_a_tablet_link_at_once(
    client: FlaskClient, app_db: Database, meeting: MeetingFixture
) -> None:
    response = client.get(f"/p/{make_token(app_db, meeting)}")
    assert response.status_code == 302
    assert response.headers["Location"] == "/tablet"
