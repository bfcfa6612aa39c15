"""The live room's socket events through the Flask-SocketIO test client: pause and resume,
the announcement, presenter mode, document:opened and the chair's presence pushes."""

from __future__ import annotations

import time
from typing import Any

from flask import Flask
from sqlmodel import select

from ecabinet.db import Database
from ecabinet.documents.models import DocumentOpened
from ecabinet.documents.storage import Storage
from tests.factories import MeetingFixture, make_attendee, make_document, make_token
from tests.live.test_namespace import make_api_token, pushes, sio


def call(client: Any, event: str, **data: Any) -> dict[str, Any]:
    ack: dict[str, Any] = client.emit(event, data, callback=True)
    return ack


def test_pause_resume_and_announce_reach_the_room_with_the_next_versions(
    app: Flask, app_db: Database, meeting: MeetingFixture
) -> None:
    chair = sio(app, auth={"token": make_api_token(app, meeting)})
    tablet = sio(app, auth={"token": make_token(app_db, meeting)})
    version = call(tablet, "meeting:join", meeting_id=meeting.id)["state"]["version"]
    assert call(chair, "live:start", meeting_id=meeting.id)["ok"]
    paused = call(chair, "live:pause", meeting_id=meeting.id)
    assert paused["result"]["paused"] is True
    banner = call(chair, "live:announce", meeting_id=meeting.id, text="Nghỉ 10 phút")
    assert banner["ok"] is True
    assert call(chair, "live:resume", meeting_id=meeting.id)["result"]["paused"] is False
    states = pushes(tablet)
    assert [s["version"] for s in states] == list(range(version + 1, version + 5))
    assert [s["paused"] for s in states] == [False, True, True, False]
    assert states[-1]["announcement"] == "Nghỉ 10 phút"
    assert states[-1]["timer"]["running_since"] is not None
    assert isinstance(states[-1]["server_time"], int)


def test_delegates_may_not_control_and_bad_payloads_get_invalid(
    app: Flask, app_db: Database, meeting: MeetingFixture
) -> None:
    tablet = sio(app, auth={"token": make_token(app_db, meeting)})
    for event in ("live:pause", "live:resume", "live:announce", "live:present"):
        refused = call(tablet, event, meeting_id=meeting.id)
        assert refused["ok"] is False
        assert refused["error"]["code"] == "forbidden", (event, refused)
    chair = sio(app, auth={"token": make_api_token(app, meeting)})
    odd = call(chair, "live:announce", meeting_id=meeting.id, text=["not", "text"])
    assert odd["error"]["code"] == "invalid"
    extra = call(chair, "live:present", meeting_id=meeting.id, document_id=1, script="x")
    assert extra["error"]["code"] == "invalid"


def test_presenting_names_the_page_and_document_opened_is_recorded_once(
    app: Flask, app_db: Database, app_storage: Storage, meeting: MeetingFixture
) -> None:
    report = make_document(app_db, app_storage, meeting, title="Tờ trình")
    chair = sio(app, auth={"token": make_api_token(app, meeting)})
    attendee_id = make_attendee(app_db, meeting)
    tablet = sio(app, auth={"token": make_token(app_db, meeting, attendee_id)})
    call(tablet, "meeting:join", meeting_id=meeting.id)
    call(chair, "live:start", meeting_id=meeting.id)
    shown = call(chair, "live:present", meeting_id=meeting.id, document_id=report.id, page=1)
    assert shown["ok"] is True, shown
    assert pushes(tablet)[-1]["presenting"] == {"document_id": report.id, "page": 1}
    for _ in range(2):
        assert call(tablet, "document:opened", document_id=report.id) == {"ok": True}
    with app_db.unit_of_work(write=False) as session:
        opened = session.exec(
            select(DocumentOpened).where(DocumentOpened.attendee_id == attendee_id)
        ).all()
    assert [row.document_id for row in opened] == [report.id]
    missing = call(tablet, "document:opened", document_id=10**6)
    assert missing["error"]["code"] == "document_not_found"


def test_the_chair_is_told_who_is_connected(
    app: Flask, app_db: Database, meeting: MeetingFixture
) -> None:
    chair = sio(app, auth={"token": make_api_token(app, meeting)})
    call(chair, "meeting:join", meeting_id=meeting.id)
    an = sio(app, auth={"token": make_token(app_db, meeting, make_attendee(app_db, meeting))})
    binh = make_attendee(app_db, meeting, name="Trần Thị Bình")
    tablets = [an, sio(app, auth={"token": make_token(app_db, meeting, binh)})]
    for tablet in tablets:
        call(tablet, "meeting:join", meeting_id=meeting.id)

    def presence() -> dict[str, Any]:
        deadline = time.monotonic() + 3
        while time.monotonic() < deadline:
            found: list[dict[str, Any]] = [
                p["args"][0] for p in chair.get_received() if p["name"] == "meeting:presence"
            ]
            if found:
                return found[-1]
            time.sleep(0.05)
        raise AssertionError("no presence push")

    seen = presence()
    assert seen["tablets"] == 2
    assert [d["name"] for d in seen["delegates"]] == ["Nguyễn Văn An", "Trần Thị Bình"]
    # Tablets are never told who else is connected.
    assert not [p for p in tablets[0].get_received() if p["name"] == "meeting:presence"]
    tablets[1].disconnect()
    assert presence()["tablets"] == 1
