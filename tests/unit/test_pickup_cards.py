"""Cards: a typed code beside the QR, an expiry that follows the meeting, one device per card
on confidential meetings, and an audit row for every card that opened nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import select

from ecabinet.audit.models import AuditEntry
from ecabinet.db import Database
from ecabinet.documents.models import Document
from ecabinet.documents.storage import Storage
from ecabinet.meetings import service as meetings
from ecabinet.meetings.models import Meeting
from ecabinet.meetings.schemas import MeetingUpdate
from ecabinet.pickup import codes, devices
from ecabinet.pickup import service as pickup
from ecabinet.pickup.models import AttendeeToken, DeviceSession, PickupAlert
from tests.factories import MeetingFixture, make_attendee, make_document, make_meeting

KEY = b"k" * 32


@pytest.fixture
def database(app_db: Database) -> Database:
    """The app's database: its event bus writes audit rows and moves cards with meetings."""
    return app_db


WINDOW = pickup.AccessWindow(days_after_end=3, undated_days=30)


def issue(
    database: Database, meeting: MeetingFixture, attendee_id: int, **kw: object
) -> pickup.IssuedToken:
    with database.unit_of_work() as session:
        return pickup.issue_token(
            session,
            actor=meeting.secretary.actor,
            attendee_id=attendee_id,
            lifetime=kw.pop("lifetime", WINDOW),  # type: ignore[arg-type]
            code_key=KEY,
            **kw,  # type: ignore[arg-type]
        )


def open_card(database: Database, **kw: object) -> object:
    with database.unit_of_work() as session:
        return devices.open_device(session, code_key=KEY, **kw)  # type: ignore[arg-type]


def audit_subjects(database: Database, action: str) -> list[str]:
    with database.unit_of_work(write=False) as session:
        rows = session.exec(select(AuditEntry).where(AuditEntry.action == action)).all()
    return [row.subject for row in rows]


def test_codes_are_50_bits_grouped_and_forgiving_to_type() -> None:
    made = {codes.new_code() for _ in range(2000)}
    assert len(made) == 2000
    for code in list(made)[:50]:
        assert len(code) == 11
        assert code[5] == "-"
        assert set(code.replace("-", "")) <= set(codes.ALPHABET)
        assert not set(code) & set("ILOU")
    assert codes.normalise(" 7kq2m 9xp4h ") == "7KQ2M9XP4H"
    assert codes.normalise("7KQ2M-9XP4H") == "7KQ2M9XP4H"
    assert codes.normalise("OIL00-00000") == "01100-00000".replace("-", "")  # O→0, I/L→1
    for bad in ("", "7KQ2M-9XP4", "7KQ2M-9XP4HH", "7KQ2M-9XP4U", "x" * 41, "7KQ2M/9XP4H"):
        assert codes.normalise(bad) is None
    # Keyed: the same code under another key is another digest (a stolen database holds no
    # way to test guesses offline without the app's secret key).
    assert codes.digest("7KQ2M9XP4H", KEY) != codes.digest("7KQ2M9XP4H", b"other")


def test_the_typed_code_opens_the_card_as_its_qr_does(database: Database) -> None:
    meeting = make_meeting(database)
    attendee_id = make_attendee(database, meeting)
    card = issue(database, meeting, attendee_id)
    with database.unit_of_work(write=False) as session:
        stored = session.exec(select(AttendeeToken)).one()
    assert stored.code_hash is not None
    assert card.code.replace("-", "") not in stored.code_hash
    typed = card.code.lower().replace("-", " ").replace("0", "o")
    opened = open_card(database, code=typed, user_agent="Android 5")
    assert isinstance(opened, devices.OpenedDevice)
    with database.unit_of_work(write=False) as session:
        assert devices.resolve_devices(session, [opened.secret])[opened.secret] is not None
    assert open_card(database, code="7KQ2M-9XP4H") is None
    with database.unit_of_work() as session:  # the wrong key finds nothing
        assert devices.open_device(session, code=card.code, code_key=b"other") is None
    reprinted = issue(database, meeting, attendee_id)
    assert open_card(database, code=card.code) is None  # the old card's code went with it
    assert isinstance(open_card(database, code=reprinted.code), devices.OpenedDevice)


def test_bulk_cards_have_codes_too(database: Database) -> None:
    meeting = make_meeting(database)
    for n in range(3):
        make_attendee(database, meeting, name=f"Đại biểu {n}")
    with database.unit_of_work() as session:
        batch = pickup.issue_tokens(
            session,
            actor=meeting.secretary.actor,
            meeting_id=meeting.id,
            lifetime=WINDOW,
            code_key=KEY,
        )
    assert len({card.code for card in batch.issued}) == 3
    for card in batch.issued:
        assert isinstance(open_card(database, code=card.code), devices.OpenedDevice)


def set_times(database: Database, meeting: MeetingFixture, start: datetime, end: datetime) -> None:
    with database.unit_of_work() as session:
        meetings.update_meeting(
            session,
            actor=meeting.secretary.actor,
            meeting_id=meeting.id,
            data=MeetingUpdate(starts_at=start, ends_at=end),
        )


def test_cards_expire_days_after_the_meeting_and_follow_it_when_it_moves(
    database: Database,
) -> None:
    meeting = make_meeting(database)
    attendee_id = make_attendee(database, meeting)
    start = datetime.now(UTC).replace(microsecond=0) + timedelta(days=10)
    set_times(database, meeting, start, start + timedelta(hours=3))
    card = issue(database, meeting, attendee_id)
    assert card.expires_at == start + timedelta(hours=3, days=3)
    opened = open_card(database, token=card.raw)
    assert isinstance(opened, devices.OpenedDevice)
    # The meeting is put off a week: the card and the tablet it let in follow.
    later = start + timedelta(days=7)
    set_times(database, meeting, later, later + timedelta(hours=2))
    with database.unit_of_work(write=False) as session:
        assert session.exec(select(AttendeeToken.expires_at)).one() == later + timedelta(
            hours=2, days=3
        )
        assert session.exec(select(DeviceSession.expires_at)).one() == later + timedelta(
            hours=2, days=3
        )
        actor = pickup.resolve_token(session, raw=card.raw, now=later + timedelta(days=4))
        assert actor is None  # past the new window
        assert pickup.resolve_token(session, raw=card.raw, now=later + timedelta(days=2))


def test_a_meeting_without_a_date_and_one_already_over(database: Database) -> None:
    meeting = make_meeting(database)
    with database.unit_of_work() as session:
        row = session.get(Meeting, meeting.id)
        assert row is not None
        undated = WINDOW.expiry(Meeting(title="x"), datetime(2026, 1, 1, tzinfo=UTC))
        assert undated == datetime(2026, 1, 31, tzinfo=UTC)
        now = datetime(2026, 6, 1, tzinfo=UTC)
        row.starts_at = datetime(2026, 5, 1, tzinfo=UTC)
        row.ends_at = None
        assert WINDOW.expiry(row, now) == now + timedelta(days=1)  # reread for a day


def make_confidential(database: Database, meeting: MeetingFixture, level: str = "mat") -> None:
    with database.unit_of_work() as session:
        row = session.get(Meeting, meeting.id)
        assert row is not None
        row.confidentiality = level
        session.add(row)


def test_a_confidential_card_opens_one_device_and_alerts_on_a_second(database: Database) -> None:
    meeting = make_meeting(database)
    make_confidential(database, meeting)
    attendee_id = make_attendee(database, meeting, name="Trần Thị Bình")
    card = issue(database, meeting, attendee_id)
    first = open_card(database, token=card.raw, user_agent="Tablet A", address="10.0.0.5")
    assert isinstance(first, devices.OpenedDevice)
    second = open_card(database, token=card.raw, user_agent="Phone B", address="10.0.0.99")
    assert isinstance(second, devices.SecondDevice)
    # The typed code is the same card: refused too. So is a reprinted card.
    assert isinstance(open_card(database, code=card.code), devices.SecondDevice)
    reprinted = issue(database, meeting, attendee_id)
    assert isinstance(open_card(database, token=reprinted.raw), devices.SecondDevice)
    with database.unit_of_work(write=False) as session:
        alerts = devices.open_alerts(session, meeting_id=meeting.id)
        assert session.exec(select(DeviceSession)).all().__len__() == 1
    assert len(alerts) == 3
    assert alerts[-1].attendee_name == "Trần Thị Bình"
    assert alerts[-1].address == "10.0.0.99"
    assert alerts[-1].user_agent == "Phone B"
    assert any("máy thứ hai" in s for s in audit_subjects(database, "pickup.refused"))
    # Dismissing keeps the binding; releasing cuts the first device off and lets the next in.
    with database.unit_of_work() as session:
        devices.resolve_alert(
            session, actor=meeting.secretary.actor, alert_id=alerts[0].id, release=False
        )
    with database.unit_of_work(write=False) as session:
        assert devices.open_alerts(session, meeting_id=meeting.id) == []
    assert isinstance(open_card(database, token=reprinted.raw), devices.SecondDevice)
    with database.unit_of_work(write=False) as session:
        alert_id = devices.open_alerts(session, meeting_id=meeting.id)[0].id
    with database.unit_of_work() as session:
        devices.resolve_alert(
            session, actor=meeting.secretary.actor, alert_id=alert_id, release=True
        )
    with database.unit_of_work(write=False) as session:
        assert devices.resolve_devices(session, [first.secret])[first.secret] is None
    assert isinstance(open_card(database, token=reprinted.raw), devices.OpenedDevice)
    assert audit_subjects(database, "device.release") == ["Trần Thị Bình"]


def test_a_secret_document_binds_the_cards_of_a_normal_meeting(
    database: Database, storage: Storage
) -> None:
    meeting = make_meeting(database)
    attendee_id = make_attendee(database, meeting)
    card = issue(database, meeting, attendee_id)
    assert isinstance(open_card(database, token=card.raw), devices.OpenedDevice)
    assert isinstance(open_card(database, token=card.raw), devices.OpenedDevice)  # normal: two ok
    document = make_document(database, storage, meeting)
    with database.unit_of_work() as session:
        row = session.get(Document, document.id)
        assert row is not None
        row.confidentiality = "toi_mat"
        session.add(row)
    assert isinstance(open_card(database, token=card.raw), devices.SecondDevice)


def test_another_meetings_secretary_cannot_see_or_answer_an_alert(database: Database) -> None:
    meeting = make_meeting(database)
    make_confidential(database, meeting)
    attendee_id = make_attendee(database, meeting)
    card = issue(database, meeting, attendee_id)
    open_card(database, token=card.raw)
    open_card(database, token=card.raw)
    other = make_meeting(database)
    with database.unit_of_work(write=False) as session:
        alert = session.exec(select(PickupAlert)).one()
    from ecabinet.errors import NotFound

    with database.unit_of_work() as session, pytest.raises(NotFound):
        devices.resolve_alert(
            session, actor=other.secretary.actor, alert_id=alert.id or 0, release=True
        )


def test_every_card_that_opens_nothing_leaves_an_audit_row(database: Database) -> None:
    meeting = make_meeting(database)
    attendee_id = make_attendee(database, meeting, name="Lê Văn Cường")
    old = issue(database, meeting, attendee_id)
    issue(database, meeting, attendee_id)  # reprinted: the old card is revoked
    other = make_meeting(database)
    short = issue(database, other, make_attendee(database, other), lifetime=timedelta(seconds=-1))
    assert open_card(database, token=old.raw, address="10.0.0.7") is None
    assert open_card(database, token="A" * 22, address="10.0.0.8") is None
    assert open_card(database, code="AAAAA-AAAAA", address="10.0.0.9") is None
    assert open_card(database, token=short.raw) is None
    subjects = audit_subjects(database, "pickup.refused")
    assert "Lê Văn Cường: QR: thẻ đã bị thu hồi (in lại) (từ 10.0.0.7)" in subjects
    assert "QR: thẻ không tồn tại (từ 10.0.0.8)" in subjects
    assert "mã: thẻ không tồn tại (từ 10.0.0.9)" in subjects
    assert any("hết hạn" in s for s in subjects)
