"""Room screens: paired once by a short code shown on the screen and typed by the chair or a
secretary, then a revocable screen credential that sees only what the room sees."""

from __future__ import annotations

import re
from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from ecabinet.db import Database
from ecabinet.documents.storage import Storage
from ecabinet.live import service as live
from tests.factories import MeetingFixture, make_document, make_meeting, make_token
from tests.http.test_api import bearer
from tests.live.test_namespace import pushes, sio


def shown_code(client: FlaskClient) -> str:
    page = client.get("/screen")
    assert page.status_code == 200
    found = re.search(r'id="pair-code" class="pair-code">(\d{3}) (\d{3})<', page.get_data(True))
    assert found, page.get_data(True)[:500]
    return found.group(1) + found.group(2)


def pair(client: FlaskClient, meeting: MeetingFixture, code: str, who: Any = None) -> Any:
    who = who or meeting.chair
    return client.post(
        f"/api/v1/meetings/{meeting.id}/screens",
        json={"code": code, "name": "Màn hình hội trường"},
        headers=bearer(client, who.username),
    )


def test_a_screen_shows_a_code_until_paired_then_the_room_without_documents(
    app: Flask, app_db: Database, app_storage: Storage, meeting: MeetingFixture
) -> None:
    make_document(app_db, app_storage, meeting, title="Tờ trình mật")
    screen = app.test_client()
    code = shown_code(screen)
    assert shown_code(screen) == code  # a reload keeps the same code
    assert screen.get("/screen/status").json == {"paired": False, "expired": False}
    staff = app.test_client()
    answer = pair(staff, meeting, f"{code[:3]} {code[3:]}")  # typed with its space
    assert answer.status_code == 201, answer.json
    assert answer.json["active"] is True
    assert screen.get("/screen/status").json == {"paired": True, "expired": False}
    room = screen.get("/screen").get_data(True)
    assert 'data-role="screen"' in room
    state = re.search(r'id="initial-state">(.*?)</script>', room, re.S)
    assert state is not None
    assert '"documents": []' in state.group(1)
    # It sees the room, nothing else: no documents, no API, no other pages.
    assert screen.get(f"/api/v1/meetings/{meeting.id}/documents").status_code in (403, 404)
    assert screen.get(f"/api/v1/meetings/{meeting.id}/state").status_code in (403, 404)
    assert screen.get("/tablet").status_code in (302, 401, 403)
    assert screen.get(f"/meetings/{meeting.id}/chair").status_code in (302, 401, 403)


def test_a_wrong_or_used_code_is_refused_with_a_reason(
    app: Flask, app_db: Database, meeting: MeetingFixture
) -> None:
    staff = app.test_client()
    wrong = pair(staff, meeting, "12345")
    assert wrong.status_code == 422
    assert wrong.json["error"]["code"] == "screen_code_invalid"
    code = shown_code(app.test_client())
    assert pair(staff, meeting, code).status_code == 201
    again = pair(staff, meeting, code)  # the code went with the pairing
    assert again.json["error"]["code"] == "screen_code_invalid"


def test_only_the_chair_and_secretaries_of_the_meeting_pair_and_revoke(
    app: Flask, app_db: Database, meeting: MeetingFixture
) -> None:
    other = make_meeting(app_db)
    code = shown_code(app.test_client())
    staff = app.test_client()
    assert pair(staff, meeting, code, who=other.chair).status_code == 404
    assert pair(staff, meeting, code, who=meeting.secretary).status_code == 201
    listed: Any = staff.get(
        f"/api/v1/meetings/{meeting.id}/screens", headers=bearer(staff, meeting.chair.username)
    ).json
    assert len(listed) == 1
    [listed] = listed
    outsider = staff.post(
        f"/api/v1/screens/{listed['id']}/revoke", headers=bearer(staff, other.secretary.username)
    )
    assert outsider.status_code == 404
    revoked = staff.post(
        f"/api/v1/screens/{listed['id']}/revoke", headers=bearer(staff, meeting.chair.username)
    )
    assert revoked.status_code == 200
    assert revoked.json["active"] is False


def test_creating_codes_is_rate_limited_per_address(app: Flask) -> None:
    statuses = [app.test_client().get("/screen").status_code for _ in range(12)]
    assert statuses[:10] == [200] * 10
    assert statuses[-1] == 429


def test_the_screen_socket_gets_the_room_and_is_cut_off_when_revoked(
    app: Flask, app_db: Database, app_storage: Storage, meeting: MeetingFixture
) -> None:
    make_document(app_db, app_storage, meeting, title="Báo cáo")
    screen = app.test_client()
    code = shown_code(screen)
    staff = app.test_client()
    screen_id = pair(staff, meeting, code).json["id"]
    socket = sio(app, flask_test_client=screen)
    assert socket.is_connected()
    ack = socket.emit("meeting:join", {"meeting_id": meeting.id}, callback=True)
    assert ack["ok"] is True, ack
    assert ack["state"]["documents"] == []
    other = make_meeting(app_db)
    refused = socket.emit("meeting:join", {"meeting_id": other.id}, callback=True)
    assert refused["ok"] is False
    # Controls and a delegate's events are not a screen's.
    start = socket.emit("live:start", {"meeting_id": meeting.id}, callback=True)
    assert start["ok"] is False
    with app_db.unit_of_work() as session:
        live.start_meeting(session, actor=meeting.chair.actor, meeting_id=meeting.id)
        live.present(
            session,
            actor=meeting.chair.actor,
            meeting_id=meeting.id,
            document_id=_first_document(app_db, meeting),
        )
    [*_, last] = pushes(socket)
    assert last["status"] == "live"
    assert last["documents"] == []
    assert last["presenting"] is None  # the room screen never names a document
    # A delegate in the same room does get the document being presented.
    tablet = sio(app, auth={"token": make_token(app_db, meeting)})
    joined = tablet.emit("meeting:join", {"meeting_id": meeting.id}, callback=True)
    assert joined["state"]["presenting"] is not None
    revoked = staff.post(
        f"/api/v1/screens/{screen_id}/revoke", headers=bearer(staff, meeting.chair.username)
    )
    assert revoked.status_code == 200
    app.extensions["ecabinet.live"].wait_for_sweeps()
    assert not socket.is_connected()
    assert screen.get("/screen/status").json == {"paired": False, "expired": True}
    assert "pair-code" in screen.get("/screen").get_data(True)  # a new code to pair again


def _first_document(database: Database, meeting: MeetingFixture) -> int:
    from sqlmodel import select

    from ecabinet.documents.models import Document

    with database.unit_of_work(write=False) as session:
        found = session.exec(select(Document.id).where(Document.meeting_id == meeting.id)).first()
        assert found is not None
        return found


def test_opening_the_screen_page_signed_in_asks_before_signing_anyone_out(
    app: Flask, app_db: Database, client: FlaskClient, login: Any, meeting: MeetingFixture
) -> None:
    csrf = login.as_staff(meeting.secretary)
    asked = client.get("/screen").get_data(True)
    assert "Dùng làm màn hình phòng họp" in asked
    assert "pair-code" not in asked
    assert client.get("/meetings").status_code == 200  # still signed in
    refused = client.post("/screen")  # no CSRF token: a forged link cannot do it
    assert refused.status_code == 400
    chosen = client.post("/screen", data={"csrf_token": csrf})
    assert chosen.status_code == 200
    assert "pair-code" in chosen.get_data(True)
    assert client.get("/meetings").status_code == 302  # now a screen, not a secretary


def test_a_paired_screen_opening_the_home_page_goes_to_its_room(
    app: Flask, app_db: Database, meeting: MeetingFixture
) -> None:
    screen = app.test_client()
    pair(app.test_client(), meeting, shown_code(screen))
    home = screen.get("/")
    assert home.status_code == 302
    assert home.headers["Location"].endswith("/screen")
