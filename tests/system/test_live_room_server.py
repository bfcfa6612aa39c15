"""The live room against the real eventlet server with python-socketio clients: versions that
never skip, a client that missed pushes catching up on join, the clock across a restart, and
every kind of revocation cutting a connection within a second."""

from __future__ import annotations

import re
import time
from typing import Any

import pytest
import requests
import socketio

from ecabinet.actor import Role
from ecabinet.db import Database
from tests.factories import make_attendee, make_meeting, make_token, make_user
from tests.system.test_realtime_server import Tablet, api_token
from tests.tools import ServerProcess

pytestmark = pytest.mark.system


def control(
    server: ServerProcess, meeting_id: int, auth: dict[str, str], action: str, **body: Any
) -> dict[str, Any]:
    response = requests.post(
        f"{server.url}/api/v1/meetings/{meeting_id}/live/{action}",
        json=body,
        headers=auth,
        timeout=10,
    )
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


def cut_within(client: socketio.Client, seconds: float) -> float:
    started = time.monotonic()
    while client.connected and time.monotonic() - started < seconds + 2:
        time.sleep(0.01)
    took = time.monotonic() - started
    assert not client.connected, f"still connected {took:.2f} s after the revocation"
    return took


def test_every_tablet_sees_each_version_once_and_a_returning_one_catches_up(
    database: Database, live_server: ServerProcess
) -> None:
    meeting = make_meeting(database, items=4)
    tablets = [Tablet(live_server.url, make_token(database, meeting)) for _ in range(3)]
    try:
        joined = [tablet.join(meeting.id)["state"]["version"] for tablet in tablets]
        chair = api_token(live_server, meeting.chair.username)
        control(live_server, meeting.id, chair, "start")
        control(live_server, meeting.id, chair, "next")
        away = tablets[2]
        away.close()  # the Wi-Fi drops
        control(live_server, meeting.id, chair, "announce", text="Nghỉ giải lao 10 phút")
        control(live_server, meeting.id, chair, "pause")
        last = control(live_server, meeting.id, chair, "next")["version"]
        for tablet, first in zip(tablets[:2], joined[:2], strict=True):
            tablet.wait_for(lambda s: s["version"] == last)
            versions = [s["version"] for s in tablet.states]
            # Pushed in commit order, none skipped, none twice: a client applies each next one.
            assert versions == list(range(first + 1, last + 1))
        back = Tablet(live_server.url, make_token(database, meeting))
        try:
            state = back.join(meeting.id)["state"]  # what any client does on reconnect
            latest = tablets[0].states[-1]
            assert state["version"] == last
            assert state["announcement"] == "Nghỉ giải lao 10 phút"
            assert state["paused"] is True
            assert state["current_item_id"] == latest["current_item_id"]
            assert {k: v for k, v in state.items() if k != "server_time"} == {
                k: v for k, v in latest.items() if k != "server_time"
            }
        finally:
            back.close()
    finally:
        for tablet in tablets[:2]:
            tablet.close()


def test_the_item_clock_survives_a_restart_of_the_server(
    database: Database, live_server: ServerProcess
) -> None:
    meeting = make_meeting(database, items=2)
    chair = api_token(live_server, meeting.chair.username)
    control(live_server, meeting.id, chair, "start")
    tablet = Tablet(live_server.url, make_token(database, meeting))
    before = tablet.join(meeting.id)["state"]["timer"]
    tablet.close()
    time.sleep(1.1)
    live_server.stop()
    live_server.start()
    tablet = Tablet(live_server.url, make_token(database, meeting))
    try:
        state = tablet.join(meeting.id)["state"]
        timer = state["timer"]
        assert timer["running_since"] == before["running_since"]  # the same clock, not reset
        assert state["server_time"] - timer["running_since"] >= 1100
    finally:
        tablet.close()


def test_revocations_cut_the_connection_within_a_second(
    database: Database, live_server: ServerProcess
) -> None:
    meeting = make_meeting(database, items=2)
    admin = make_user(database, Role.ADMIN)
    chair_socket = socketio.Client(reconnection=False)
    chair_token = api_token(live_server, meeting.chair.username)["Authorization"].split()[1]
    chair_socket.connect(live_server.url, auth={"token": chair_token}, transports=["websocket"])
    attendee_id = make_attendee(database, meeting)
    tablet = Tablet(live_server.url, make_token(database, meeting, attendee_id))
    bystander = Tablet(live_server.url, make_token(database, meeting))
    screen_id, screen_cookie = paired_screen(
        live_server, meeting.id, {"Authorization": f"Bearer {chair_token}"}
    )
    screen = socketio.Client(reconnection=False)
    screen.connect(live_server.url, headers={"Cookie": screen_cookie}, transports=["websocket"])
    try:
        for client in (chair_socket, tablet.client, bystander.client, screen):
            ack = client.call("meeting:join", {"meeting_id": meeting.id}, timeout=10)
            assert ack["ok"] is True, ack
        secretary = api_token(live_server, meeting.secretary.username)
        admin_auth = api_token(live_server, admin.username)

        # A delegate's link re-issued: their tablet goes.
        requests.post(
            f"{live_server.url}/api/v1/attendees/{attendee_id}/link", headers=secretary, timeout=10
        ).raise_for_status()
        assert cut_within(tablet.client, 1.0) <= 1.0
        # A staff account disabled by an administrator: its sockets go.
        requests.post(
            f"{live_server.url}/api/v1/users/{meeting.chair.id}/disable",
            headers=admin_auth,
            timeout=10,
        ).raise_for_status()
        assert cut_within(chair_socket, 1.0) <= 1.0
        # A room screen revoked from the console.
        requests.post(
            f"{live_server.url}/api/v1/screens/{screen_id}/revoke", headers=secretary, timeout=10
        ).raise_for_status()
        assert cut_within(screen, 1.0) <= 1.0
        assert bystander.client.connected  # nobody else
    finally:
        for client in (chair_socket, bystander.client, screen, tablet.client):
            if client.connected:
                client.disconnect()


def paired_screen(server: ServerProcess, meeting_id: int, auth: dict[str, str]) -> tuple[int, str]:
    """A room screen as its browser pairs it: /screen shows a code, the chair types it.
    Returns the screen's id and its session cookie."""
    browser = requests.Session()
    page = browser.get(f"{server.url}/screen", timeout=10).text
    found = re.search(r'class="pair-code">(\d{3}) (\d{3})<', page)
    assert found, page[:300]
    paired = requests.post(
        f"{server.url}/api/v1/meetings/{meeting_id}/screens",
        json={"code": found.group(1) + found.group(2)},
        headers=auth,
        timeout=10,
    )
    assert paired.status_code == 201, paired.text
    cookie = "; ".join(f"{c.name}={c.value}" for c in browser.cookies)
    return paired.json()["id"], cookie
