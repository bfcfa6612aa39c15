"""Behind a TLS-terminating proxy on the LAN (README: HTTPS on a LAN): with PROXY_COUNT set,
links, Socket.IO's origin check and rate limits see https, the real host and the tablet's
own address; without it, a client's X-Forwarded-* headers change nothing."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask

from ecabinet.app import same_origin_or
from ecabinet.config import ConfigError
from tests.conftest import Login, app_config
from tests.factories import make_attendee, make_meeting

FORWARDED = {
    "X-Forwarded-Proto": "https",
    "X-Forwarded-Host": "phonghop.lan",
    "X-Forwarded-For": "10.0.0.77",
}


def make(db_url: str, tmp_path: Path, hops: int) -> Flask:
    from ecabinet.app import create_app

    return create_app(app_config(db_url, tmp_path, PROXY_COUNT=hops, PUBLIC_HOSTS=["phonghop.lan"]))


@pytest.fixture
def apps(db_url: str, tmp_path: Path) -> Iterator[dict[int, Flask]]:
    built = {hops: make(db_url, tmp_path / str(hops), hops) for hops in (0, 1)}
    yield built
    for application in built.values():
        application.extensions["ecabinet.live"].close()
        application.extensions["ecabinet.db"].dispose()


def link_from(application: Flask) -> str:
    database = application.extensions["ecabinet.db"]
    meeting = make_meeting(database)
    attendee_id = make_attendee(database, meeting)
    client = application.test_client()
    csrf = Login(client).as_staff(meeting.secretary)
    # As a browser posts the form over HTTPS: Referer of our own page (Referrer-Policy
    # same-origin), which Flask-WTF checks on HTTPS.
    referer = {"Referer": f"https://phonghop.lan/meetings/{meeting.id}"}
    page = client.post(
        f"/attendees/{attendee_id}/link", data={"csrf_token": csrf}, headers=FORWARDED | referer
    ).get_data(as_text=True)
    found = re.search(r'id="attendee-link">([^<]+)<', page)
    assert found, page
    return found.group(1)


def test_links_follow_the_proxy_only_when_it_is_trusted(apps: dict[int, Flask]) -> None:
    assert link_from(apps[1]).startswith("https://phonghop.lan/p/")
    assert link_from(apps[0]).startswith("http://localhost/p/")  # headers ignored


def test_forms_posted_over_https_need_our_own_referer(apps: dict[int, Flask]) -> None:
    application = apps[1]
    database = application.extensions["ecabinet.db"]
    meeting = make_meeting(database)
    client = application.test_client()
    csrf = Login(client).as_staff(meeting.secretary)
    url = f"/attendees/{make_attendee(database, meeting)}/link"
    foreign = {"Referer": "https://evil.example/"}
    assert (
        client.post(url, data={"csrf_token": csrf}, headers=FORWARDED | foreign).status_code == 400
    )
    ours = {"Referer": f"https://phonghop.lan/meetings/{meeting.id}"}
    assert client.post(url, data={"csrf_token": csrf}, headers=FORWARDED | ours).status_code == 200


def test_the_real_address_is_what_the_throttle_counts(apps: dict[int, Flask]) -> None:
    for application in apps.values():
        application.config["PICKUP_FAILURE_LIMIT"] = "2 per minute"
    proxied = apps[1].test_client()
    for n in range(2):
        assert proxied.get(f"/p/doan-{n}", headers=FORWARDED).status_code == 404
    assert proxied.get("/p/doan-x", headers=FORWARDED).status_code == 429
    # Another tablet behind the same proxy has its own budget.
    other = {**FORWARDED, "X-Forwarded-For": "10.0.0.78"}
    assert proxied.get("/p/doan-y", headers=other).status_code == 404


def test_socketio_origin_check_sees_the_proxied_scheme_and_host() -> None:
    check = same_origin_or([])
    behind = {"wsgi.url_scheme": "https", "HTTP_HOST": "phonghop.lan"}
    assert check("https://phonghop.lan", behind)
    assert not check("http://phonghop.lan", behind)


def test_a_bad_proxy_count_stops_the_start(db_url: str, tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="PROXY_COUNT"):
        make(db_url, tmp_path, -1)
