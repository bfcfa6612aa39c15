"""Device sessions: a card's token is exchanged on the first scan for a secret of the
tablet's own, which can be named and cut off on its own; reprinting the card leaves tablets
in; an archived meeting or a deleted attendee ends every device."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask.testing import FlaskClient
from sqlmodel import select

from ecabinet.attendees import service as attendees
from ecabinet.db import Database
from ecabinet.errors import Invalid, NotFound
from ecabinet.live import service as live
from ecabinet.meetings import lifecycle
from ecabinet.pickup import devices
from ecabinet.pickup.models import DeviceSession
from ecabinet.timeutil import utcnow
from tests.conftest import Login
from tests.factories import make_attendee, make_meeting, make_token


def open_with(database: Database, token: str, **kw: object) -> devices.OpenedDevice | None:
    with database.unit_of_work() as session:
        return devices.open_device(session, token=token, **kw)  # type: ignore[arg-type,return-value]


def who(database: Database, secret: str) -> int | None:
    with database.unit_of_work(write=False) as session:
        actor = devices.resolve_devices(session, [secret])[secret]
    return None if actor is None else actor.attendee_id


def test_each_scan_opens_a_device_of_its_own_with_a_fresh_secret(database: Database) -> None:
    meeting = make_meeting(database)
    attendee_id = make_attendee(database, meeting)
    token = make_token(database, meeting, attendee_id)
    first = open_with(database, token, user_agent="Mozilla/5.0 (Linux; Android 5.1)")
    second = open_with(database, token)
    assert first is not None
    assert second is not None
    assert first.secret != second.secret != token
    assert len(first.secret) >= 43  # 256 bits
    assert who(database, first.secret) == who(database, second.secret) == attendee_id
    with database.unit_of_work(write=False) as session:
        rows = session.exec(select(DeviceSession)).all()
    assert all(row.secret_hash not in (first.secret, second.secret) for row in rows)  # hashed
    assert rows[0].user_agent.startswith("Mozilla/5.0")


def test_unknown_revoked_and_expired_cards_open_nothing(database: Database) -> None:
    meeting = make_meeting(database)
    attendee_id = make_attendee(database, meeting)
    old = make_token(database, meeting, attendee_id)
    make_token(database, meeting, attendee_id)  # reprinted: the old card is revoked
    assert open_with(database, old) is None
    assert open_with(database, "x" * 22) is None
    assert open_with(database, "x" * 500) is None
    fresh = make_token(database, meeting, attendee_id)
    assert open_with(database, fresh, now=utcnow() + timedelta(days=400)) is None


def test_a_device_is_cut_off_alone_and_survives_a_reprinted_card(database: Database) -> None:
    meeting = make_meeting(database)
    attendee_id = make_attendee(database, meeting)
    token = make_token(database, meeting, attendee_id)
    tablet = open_with(database, token)
    phone = open_with(database, token)
    assert tablet is not None
    assert phone is not None
    make_token(database, meeting, attendee_id)  # reprinting the card
    assert who(database, tablet.secret) == attendee_id
    with database.unit_of_work() as session:
        devices.rename_device(
            session, actor=meeting.secretary.actor, device_id=phone.device_id, name=" Điện  thoại "
        )
        devices.revoke_device(session, actor=meeting.secretary.actor, device_id=phone.device_id)
    assert who(database, phone.secret) is None
    assert who(database, tablet.secret) == attendee_id
    with database.unit_of_work(write=False) as session:
        listed = devices.list_devices(
            session, actor=meeting.secretary.actor, attendee_id=attendee_id
        )
    assert [(d.name, d.active) for d in listed] == [("Điện thoại", False), ("", True)]


def test_another_meetings_secretary_cannot_see_or_cut_a_device(database: Database) -> None:
    meeting = make_meeting(database)
    other = make_meeting(database)
    attendee_id = make_attendee(database, meeting)
    opened = open_with(database, make_token(database, meeting, attendee_id))
    assert opened is not None
    with database.unit_of_work() as session, pytest.raises(NotFound):
        devices.revoke_device(session, actor=other.secretary.actor, device_id=opened.device_id)
    with database.unit_of_work(write=False) as session, pytest.raises(NotFound):
        devices.list_devices(session, actor=other.secretary.actor, attendee_id=attendee_id)
    with database.unit_of_work() as session, pytest.raises(Invalid):
        devices.rename_device(
            session, actor=meeting.secretary.actor, device_id=opened.device_id, name="x" * 101
        )
    assert who(database, opened.secret) == attendee_id


def test_archiving_the_meeting_or_deleting_the_attendee_ends_its_devices(
    database: Database,
) -> None:
    meeting = make_meeting(database)
    kept = make_attendee(database, meeting, name="Trần Văn Bình", phone="")
    gone = make_attendee(database, meeting, name="Lê Thị Cúc", phone="")
    staying = open_with(database, make_token(database, meeting, kept))
    leaving = open_with(database, make_token(database, meeting, gone))
    assert staying is not None
    assert leaving is not None
    with database.unit_of_work() as session:
        attendees.delete_attendee(session, actor=meeting.secretary.actor, attendee_id=gone)
    assert who(database, leaving.secret) is None
    assert who(database, staying.secret) == kept
    with database.unit_of_work() as session:
        live.start_meeting(session, actor=meeting.chair.actor, meeting_id=meeting.id)
    with database.unit_of_work() as session:
        live.end_meeting(session, actor=meeting.chair.actor, meeting_id=meeting.id)
    with database.unit_of_work() as session:
        lifecycle.archive(session, actor=meeting.secretary.actor, meeting_id=meeting.id)
    assert who(database, staying.secret) is None


def test_the_secretary_names_and_cuts_off_devices_from_a_page(
    client: FlaskClient, login: Login, app_db: Database
) -> None:
    meeting = make_meeting(app_db)
    attendee_id = make_attendee(app_db, meeting, name="Phạm Thị Dung", phone="")
    tablet = client.application.test_client()
    tablet.get(f"/p/{make_token(app_db, meeting, attendee_id)}")
    assert tablet.get("/tablet").status_code == 200
    csrf = login.as_staff(meeting.secretary)
    workspace = client.get(f"/meetings/{meeting.id}").get_data(as_text=True)
    assert f"/attendees/{attendee_id}/devices" in workspace
    page = client.get(f"/attendees/{attendee_id}/devices").get_data(as_text=True)
    assert "Thiết bị đã vào: Phạm Thị Dung" in page
    assert "Đang dùng được" in page
    with app_db.unit_of_work(write=False) as session:
        [device] = devices.list_devices(
            session, actor=meeting.secretary.actor, attendee_id=attendee_id
        )
    named = client.post(
        f"/devices/{device.id}/name",
        data={"csrf_token": csrf, "name": "Máy tính bảng số 7"},
        follow_redirects=True,
    )
    assert 'value="Máy tính bảng số 7"' in named.get_data(as_text=True)
    cut = client.post(
        f"/devices/{device.id}/revoke", data={"csrf_token": csrf}, follow_redirects=True
    )
    assert "Đã ngắt" in cut.get_data(as_text=True)
    assert tablet.get("/tablet").status_code == 302
