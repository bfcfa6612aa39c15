"""The real thing: eventlet server process, websocket clients, HTTP control, restart."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import pytest
import requests
import socketio

from ecabinet.db import Database
from ecabinet.documents.storage import Storage
from tests.factories import PASSWORD, make_attendee, make_meeting, make_token
from tests.tools import ServerProcess

pytestmark = pytest.mark.system


class Tablet:
    """A python-socketio client that records every pushed state."""

    def __init__(self, url: str, token: str) -> None:
        self.client = socketio.Client(reconnection=False)
        self.states: list[dict[str, Any]] = []
        self.arrived = threading.Event()
        self.client.on("meeting:state", self._on_state)
        self.client.connect(url, auth={"token": token}, transports=["websocket"], wait_timeout=10)

    def _on_state(self, state: dict[str, Any]) -> None:
        self.states.append(state)
        self.arrived.set()

    def join(self, meeting_id: int) -> dict[str, Any]:
        ack: dict[str, Any] = self.client.call(
            "meeting:join", {"meeting_id": meeting_id}, timeout=10
        )
        return ack

    def wait_for(self, predicate: Any, timeout: float = 5.0) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for state in self.states:
                if predicate(state):
                    return state
            self.arrived.wait(0.05)
            self.arrived.clear()
        raise AssertionError(f"no matching push within {timeout}s; got {self.states}")

    def close(self) -> None:
        self.client.disconnect()


def api_token(server: ServerProcess, username: str) -> dict[str, str]:
    response = requests.post(
        f"{server.url}/api/v1/auth/tokens",
        json={"username": username, "password": PASSWORD},
        timeout=10,
    )
    assert response.status_code == 201, response.text
    return {"Authorization": f"Bearer {response.json()['token']}"}


def test_chair_next_reaches_a_websocket_tablet_with_a_higher_version(
    database: Database, live_server: ServerProcess
) -> None:
    meeting = make_meeting(database, items=4)
    tablet = Tablet(live_server.url, make_token(database, meeting))
    try:
        joined = tablet.join(meeting.id)
        assert joined["ok"] is True
        assert tablet.client.transport() == "websocket"
        v0 = joined["state"]["version"]
        chair = api_token(live_server, meeting.chair.username)
        started = requests.post(
            f"{live_server.url}/api/v1/meetings/{meeting.id}/live/start", headers=chair, timeout=10
        )
        assert started.status_code == 200, started.text
        tablet.wait_for(lambda s: s["current_item_id"] == meeting.item_ids[0])
        nxt = requests.post(
            f"{live_server.url}/api/v1/meetings/{meeting.id}/live/next", headers=chair, timeout=10
        )
        assert nxt.status_code == 200
        pushed = tablet.wait_for(lambda s: s["current_item_id"] == meeting.item_ids[1])
        assert pushed["version"] > v0 + 1
        assert pushed["version"] == nxt.json()["version"]
        assert pushed["status"] == "live"
        late = Tablet(live_server.url, make_token(database, meeting))
        try:
            state = late.join(meeting.id)["state"]
            assert state["current_item_id"] == meeting.item_ids[1]
            assert state["version"] == pushed["version"]
            assert [item["id"] for item in state["items"]] == meeting.item_ids
        finally:
            late.close()
    finally:
        tablet.close()


def test_pushes_reach_a_tablet_in_commit_order_when_two_people_control_at_once(
    database: Database, live_server: ServerProcess
) -> None:
    """The fan-out runs after the answer, from one queue: every committed version reaches the
    tablet, in order, and the last push is the last answer's state."""
    meeting = make_meeting(database, items=6)
    secretary = api_token(live_server, meeting.secretary.username)
    chair = api_token(live_server, meeting.chair.username)
    base = f"{live_server.url}/api/v1/meetings/{meeting.id}/live"
    assert requests.post(f"{base}/start", headers=chair, timeout=10).status_code == 200
    tablet = Tablet(live_server.url, make_token(database, meeting))
    answers: list[dict[str, Any]] = []
    try:
        v0 = tablet.join(meeting.id)["state"]["version"]

        def steps(headers: dict[str, str]) -> None:
            with requests.Session() as http:
                for n in range(8):  # under the 10-per-second control budget of each person
                    action = "next" if n % 2 == 0 else "previous"
                    answer = http.post(f"{base}/{action}", headers=headers, timeout=10)
                    if answer.status_code == 200:  # a 409 (at the first item) changes nothing
                        answers.append(answer.json())

        threads = [threading.Thread(target=steps, args=(h,)) for h in (chair, secretary)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
        assert len(answers) >= 8
        last = max(answers, key=lambda a: a["version"])
        tablet.wait_for(lambda s: s["version"] == last["version"])
        pushed = [s["version"] for s in tablet.states if s["version"] > v0]
        assert sorted(pushed) == sorted({a["version"] for a in answers}), pushed
        if database.engine.dialect.name == "sqlite":  # one writer: commits are serial
            assert pushed == sorted(pushed), pushed
        assert tablet.states[-1]["current_item_id"] == last["current_item_id"]
    finally:
        tablet.close()


def test_refused_without_a_valid_token(live_server: ServerProcess) -> None:
    client = socketio.Client(reconnection=False)
    with pytest.raises(socketio.exceptions.ConnectionError):
        client.connect(
            live_server.url, auth={"token": "doan-bua"}, transports=["websocket"], wait_timeout=5
        )


def test_cross_site_websocket_is_refused(live_server: ServerProcess, database: Database) -> None:
    meeting = make_meeting(database)
    # websocket-client sends its own Origin header unless told which one to send.
    client = socketio.Client(
        reconnection=False, websocket_extra_options={"origin": "http://evil.example"}
    )
    with pytest.raises(socketio.exceptions.ConnectionError):
        client.connect(
            live_server.url,
            auth={"token": make_token(database, meeting)},
            transports=["websocket"],
            wait_timeout=5,
        )


def test_live_state_survives_a_restart(database: Database, live_server: ServerProcess) -> None:
    meeting = make_meeting(database, items=3)
    chair = api_token(live_server, meeting.chair.username)
    for action in ("start", "next", "next"):
        assert requests.post(
            f"{live_server.url}/api/v1/meetings/{meeting.id}/live/{action}",
            headers=chair,
            timeout=10,
        ).ok
    before = requests.get(
        f"{live_server.url}/api/v1/meetings/{meeting.id}/state", headers=chair, timeout=10
    ).json()
    live_server.stop()
    live_server.start()
    after = requests.get(
        f"{live_server.url}/api/v1/meetings/{meeting.id}/state", headers=chair, timeout=10
    ).json()
    assert after.pop("server_time") >= before.pop("server_time")  # when each copy was sent
    assert after == before
    assert after["current_item_id"] == meeting.item_ids[2]


def test_document_upload_through_the_real_server(
    database: Database, live_server: ServerProcess
) -> None:
    from tests.factories import sample_pdf

    meeting = make_meeting(database)
    tablet = Tablet(live_server.url, make_token(database, meeting))
    try:
        v0 = tablet.join(meeting.id)["state"]["version"]
        secretary = api_token(live_server, meeting.secretary.username)
        response = requests.post(
            f"{live_server.url}/api/v1/meetings/{meeting.id}/documents",
            files={"file": ("Tờ trình.pdf", sample_pdf(), "application/pdf")},
            data={"title": "Tờ trình số 12"},
            headers=secretary,
            timeout=20,
        )
        assert response.status_code == 201, response.text
        pushed = tablet.wait_for(lambda s: len(s["documents"]) == 1)
        assert pushed["version"] == v0 + 1
        assert pushed["documents"][0]["title"] == "Tờ trình số 12"
        stored = Storage(live_server.instance / "storage").path_for(response.json()["sha256"])
        assert stored.is_file()
    finally:
        tablet.close()


@pytest.mark.parametrize("mode", ["gevent", "threading"])
def test_other_async_modes_serve_the_same_loop(
    database: Database, db_url: str, tmp_path: Path, mode: str
) -> None:
    """eventlet is the default; gevent and threading must keep working beside it."""
    meeting = make_meeting(database, items=2)
    instance = tmp_path / f"server-{mode}"
    instance.mkdir()
    server = ServerProcess(instance=instance, database_url=db_url, async_mode=mode)
    server.start()
    try:
        tablet = Tablet(server.url, make_token(database, meeting))
        try:
            v0 = tablet.join(meeting.id)["state"]["version"]
            chair = api_token(server, meeting.chair.username)
            started = requests.post(
                f"{server.url}/api/v1/meetings/{meeting.id}/live/start", headers=chair, timeout=10
            )
            assert started.status_code == 200, started.text
            pushed = tablet.wait_for(lambda s: s["current_item_id"] == meeting.item_ids[0])
            assert pushed["version"] == v0 + 1
        finally:
            tablet.close()
    finally:
        server.stop()
    assert "Traceback" not in server.log()


def test_linked_site_origins_are_added_to_same_origin(
    database: Database, db_url: str, tmp_path: Path
) -> None:
    meeting = make_meeting(database)
    instance = tmp_path / "server-origins"
    instance.mkdir()
    server = ServerProcess(
        instance=instance,
        database_url=db_url,
        extra_env={"ECABINET_ALLOWED_ORIGINS": '["https://diemcau.tinh.vn"]'},
    )
    server.start()
    try:
        for origin, allowed in (
            (server.url, True),  # the app's own pages
            ("https://diemcau.tinh.vn", True),  # a configured linked site
            ("http://evil.example", False),
        ):
            client = socketio.Client(reconnection=False, websocket_extra_options={"origin": origin})
            try:
                client.connect(
                    server.url,
                    auth={"token": make_token(database, meeting)},
                    transports=["websocket"],
                    wait_timeout=5,
                )
                connected = True
            except socketio.exceptions.ConnectionError:
                connected = False
            finally:
                client.disconnect()
            assert connected is allowed, origin
    finally:
        server.stop()


def test_revoked_tablet_is_cut_off_at_once(database: Database, live_server: ServerProcess) -> None:
    """Re-issuing a delegate's link disconnects the old tablet: no further pushes reach it."""
    meeting = make_meeting(database, items=3)
    attendee_id = make_attendee(database, meeting)
    tablet = Tablet(live_server.url, make_token(database, meeting, attendee_id))
    bystander = Tablet(live_server.url, make_token(database, meeting))
    try:
        tablet.join(meeting.id)
        bystander.join(meeting.id)
        secretary = api_token(live_server, meeting.secretary.username)
        reissued = requests.post(
            f"{live_server.url}/api/v1/attendees/{attendee_id}/link", headers=secretary, timeout=10
        )
        assert reissued.status_code == 201
        deadline = time.monotonic() + 2
        while tablet.client.connected and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not tablet.client.connected, "the revoked tablet is still connected after 2 s"
        chair = api_token(live_server, meeting.chair.username)
        started = requests.post(
            f"{live_server.url}/api/v1/meetings/{meeting.id}/live/start", headers=chair, timeout=10
        )
        assert started.ok
        bystander.wait_for(lambda s: s["status"] == "live")
        assert all(state["status"] == "draft" for state in tablet.states)
        assert bystander.client.connected
    finally:
        bystander.close()
        if tablet.client.connected:
            tablet.close()
