"""Socket handlers through Flask-SocketIO's test client: auth on connect, per-event checks,
error acks, and after-commit pushes (a rolled-back change pushes nothing)."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from flask_socketio import SocketIO, SocketIOTestClient

from ecabinet.db import Database
from ecabinet.live import service as live
from tests.conftest import Login
from tests.factories import MeetingFixture, make_meeting, make_token


def sio(app: Flask, **kwargs: Any) -> SocketIOTestClient:
    socketio: SocketIO = app.extensions["socketio"]
    return socketio.test_client(app, **kwargs)


def pushes(client: SocketIOTestClient) -> list[dict[str, Any]]:
    return [p["args"][0] for p in client.get_received() if p["name"] == "meeting:state"]


def test_connection_without_credentials_is_refused(app: Flask) -> None:
    assert not sio(app).is_connected()
    assert not sio(app, auth={"token": "khong-hop-le"}).is_connected()


def test_attendee_joins_own_meeting_and_gets_full_state(
    app: Flask, app_db: Database, meeting: MeetingFixture
) -> None:
    client = sio(app, auth={"token": make_token(app_db, meeting)})
    assert client.is_connected()
    ack = client.emit("meeting:join", {"meeting_id": meeting.id}, callback=True)
    assert ack["ok"] is True
    state = ack["state"]
    assert state["meeting_id"] == meeting.id
    assert [i["id"] for i in state["items"]] == meeting.item_ids
    assert state["version"] >= 1


def test_attendee_cannot_join_another_meeting(
    app: Flask, app_db: Database, meeting: MeetingFixture
) -> None:
    other = make_meeting(app_db)
    client = sio(app, auth={"token": make_token(app_db, meeting)})
    ack = client.emit("meeting:join", {"meeting_id": other.id}, callback=True)
    assert ack == {
        "ok": False,
        "error": {"code": "meeting_not_found", "message": "Không tìm thấy cuộc họp."},
    }


def test_attendee_cannot_control(app: Flask, app_db: Database, meeting: MeetingFixture) -> None:
    client = sio(app, auth={"token": make_token(app_db, meeting)})
    ack = client.emit("live:start", {"meeting_id": meeting.id}, callback=True)
    assert ack["ok"] is False
    assert ack["error"]["code"] == "forbidden"


def test_bad_payload_gets_an_error_ack(
    app: Flask, app_db: Database, meeting: MeetingFixture
) -> None:
    client = sio(app, auth={"token": make_token(app_db, meeting)})
    for payload in (None, "1", {"meeting_id": "abc"}, {"meeting_id": 1, "x": 2}):
        ack = client.emit("meeting:join", payload, callback=True)
        assert ack["ok"] is False
        assert ack["error"]["code"] == "invalid"


def test_chair_session_controls_and_room_gets_higher_versions(
    app: Flask, client: FlaskClient, login: Login, app_db: Database, meeting: MeetingFixture
) -> None:
    tablet = sio(app, auth={"token": make_token(app_db, meeting)})
    joined = tablet.emit("meeting:join", {"meeting_id": meeting.id}, callback=True)["state"]
    login.as_staff(meeting.chair)
    chair = sio(app, flask_test_client=client)
    assert chair.is_connected()
    chair.emit("meeting:join", {"meeting_id": meeting.id}, callback=True)
    tablet.get_received()
    started = chair.emit("live:start", {"meeting_id": meeting.id}, callback=True)
    assert started["ok"] is True
    nxt = chair.emit("live:next", {"meeting_id": meeting.id}, callback=True)
    assert nxt["result"]["current_item_id"] == meeting.item_ids[1]
    states = pushes(tablet)
    assert [s["current_item_id"] for s in states] == [meeting.item_ids[0], meeting.item_ids[1]]
    assert [s["version"] for s in states] == [joined["version"] + 1, joined["version"] + 2]
    jumped = chair.emit(
        "live:jump", {"meeting_id": meeting.id, "item_id": meeting.item_ids[2]}, callback=True
    )
    assert jumped["ok"] is True
    assert pushes(tablet)[-1]["current_item_id"] == meeting.item_ids[2]


def test_other_meetings_chair_is_told_not_found(
    app: Flask, client: FlaskClient, login: Login, app_db: Database, meeting: MeetingFixture
) -> None:
    other = make_meeting(app_db)
    login.as_staff(other.chair)
    chair = sio(app, flask_test_client=client)
    ack = chair.emit("live:start", {"meeting_id": meeting.id}, callback=True)
    assert ack["error"]["code"] == "meeting_not_found"


def test_rolled_back_change_pushes_nothing(
    app: Flask, app_db: Database, meeting: MeetingFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    tablet = sio(app, auth={"token": make_token(app_db, meeting)})
    tablet.emit("meeting:join", {"meeting_id": meeting.id}, callback=True)
    tablet.get_received()
    real_start = live.start_meeting

    def start_then_crash(*args: Any, **kwargs: Any) -> Any:
        real_start(*args, **kwargs)  # bumps the version and queues a push...
        raise RuntimeError("disk full")  # ...then the transaction fails before commit

    monkeypatch.setattr(live, "start_meeting", start_then_crash)
    api_token = make_api_token(app, meeting)
    chair = sio(app, auth={"token": api_token})
    ack = chair.emit("live:start", {"meeting_id": meeting.id}, callback=True)
    assert ack["error"]["code"] == "internal_error"
    assert pushes(tablet) == []
    synced = tablet.emit("meeting:sync", {"meeting_id": meeting.id}, callback=True)["state"]
    assert synced["status"] == "draft"


def make_api_token(app: Flask, meeting: MeetingFixture) -> str:
    from datetime import timedelta

    from ecabinet.auth import service as auth
    from ecabinet.auth.models import User

    with app.extensions["ecabinet.db"].unit_of_work() as session:
        user = session.get(User, meeting.chair.id)
        raw, _ = auth.issue_api_token(session, user=user, ttl=timedelta(hours=1))
        return raw


def test_revoked_token_loses_access_at_the_next_event(
    app: Flask, app_db: Database, meeting: MeetingFixture
) -> None:
    from sqlmodel import update

    from ecabinet.pickup.models import AttendeeToken
    from ecabinet.timeutil import utcnow

    token = make_token(app_db, meeting)
    tablet = sio(app, auth={"token": token})
    assert tablet.emit("meeting:join", {"meeting_id": meeting.id}, callback=True)["ok"]
    with app_db.unit_of_work() as session:
        # Behind the services' back (no after-commit sweep): only the per-event check is left.
        session.exec(update(AttendeeToken).values(revoked_at=utcnow()))
    ack = tablet.emit("meeting:sync", {"meeting_id": meeting.id}, callback=True)
    assert ack["error"]["code"] == "unauthorized"
    assert not tablet.is_connected()


def test_revocation_cuts_an_idle_socket(
    app: Flask, app_db: Database, meeting: MeetingFixture
) -> None:
    from sqlmodel import select

    from ecabinet.pickup import service as pickup
    from ecabinet.pickup.models import AttendeeToken

    tablet = sio(app, auth={"token": make_token(app_db, meeting)})
    assert tablet.emit("meeting:join", {"meeting_id": meeting.id}, callback=True)["ok"]
    with app_db.unit_of_work() as session:
        row = session.exec(select(AttendeeToken)).one()
        pickup.revoke_tokens(session, attendee_id=row.attendee_id)
    app.extensions["ecabinet.live"].wait_for_sweeps()
    assert not tablet.is_connected()


def test_control_flood_is_refused_and_does_not_advance(
    app: Flask, app_db: Database, meeting: MeetingFixture
) -> None:
    app.config["LIVE_CONTROL_LIMIT"] = "3 per second"
    chair = sio(app, auth={"token": make_api_token(app, meeting)})
    acks = [
        chair.emit(
            "live:start" if n == 0 else "live:next", {"meeting_id": meeting.id}, callback=True
        )
        for n in range(6)
    ]
    codes = [a["ok"] or a["error"]["code"] for a in acks]
    assert codes[:3] == [True, True, True]
    assert set(codes[3:]) == {"rate_limited"}
    state = chair.emit("meeting:sync", {"meeting_id": meeting.id}, callback=True)["state"]
    assert state["current_item_id"] == meeting.item_ids[2]  # only accepted commands moved it


def test_failed_commit_pushes_nothing(
    app: Flask, app_db: Database, meeting: MeetingFixture
) -> None:
    """A commit that fails after the snapshot was taken must not reach any tablet."""
    from sqlalchemy import event

    tablet = sio(app, auth={"token": make_token(app_db, meeting)})
    tablet.emit("meeting:join", {"meeting_id": meeting.id}, callback=True)
    tablet.get_received()

    def refuse(_session: Any) -> None:
        raise RuntimeError("database went away during COMMIT")

    chair = sio(app, auth={"token": make_api_token(app, meeting)})
    event.listen(app_db.sessions, "before_commit", refuse)  # runs after the push collector
    try:
        ack = chair.emit("live:start", {"meeting_id": meeting.id}, callback=True)
    finally:
        event.remove(app_db.sessions, "before_commit", refuse)
    assert ack["error"]["code"] == "internal_error"
    assert pushes(tablet) == []
    assert (
        tablet.emit("meeting:sync", {"meeting_id": meeting.id}, callback=True)["state"]["status"]
        == "draft"
    )


def test_control_budget_is_per_person_not_per_socket(
    app: Flask, app_db: Database, meeting: MeetingFixture
) -> None:
    app.config["LIVE_CONTROL_LIMIT"] = "2 per second"
    token = make_api_token(app, meeting)
    first, second = sio(app, auth={"token": token}), sio(app, auth={"token": token})
    first.emit("live:start", {"meeting_id": meeting.id}, callback=True)
    assert first.emit("live:next", {"meeting_id": meeting.id}, callback=True)["ok"] is True
    ack = second.emit("live:next", {"meeting_id": meeting.id}, callback=True)
    assert ack["error"]["code"] == "rate_limited"
