"""Factory helpers: realistic Vietnamese data created through the services, never raw inserts."""

from __future__ import annotations

import io
import itertools
from dataclasses import dataclass
from datetime import timedelta

from ecabinet.actor import SYSTEM, Actor, Role
from ecabinet.agenda import service as agenda
from ecabinet.agenda.schemas import AgendaItemCreate
from ecabinet.attendees import service as attendees
from ecabinet.attendees.schemas import AttendeeCreate
from ecabinet.auth import service as auth
from ecabinet.db import Database
from ecabinet.documents.models import Document
from ecabinet.documents.pdf import PdfLimits, text_pdf
from ecabinet.documents.processing import inspect_document
from ecabinet.documents.schemas import DocumentPublic
from ecabinet.documents.storage import Storage
from ecabinet.documents.upload import upload_document
from ecabinet.meetings import service as meetings
from ecabinet.meetings.models import Meeting
from ecabinet.meetings.schemas import MeetingCreate
from ecabinet.pickup import devices
from ecabinet.pickup import service as pickup
from ecabinet.timeutil import utcnow

PASSWORD = "mat-khau-thu-nghiem"
_counter = itertools.count(1)


@dataclass(frozen=True)
class Staff:
    id: int
    username: str
    role: Role
    actor: Actor
    password: str = PASSWORD


@dataclass(frozen=True)
class MeetingFixture:
    id: int
    item_ids: list[int]
    secretary: Staff
    chair: Staff


def make_user(database: Database, role: Role, username: str | None = None) -> Staff:
    username = username or f"{role.value}{next(_counter)}"
    with database.unit_of_work() as session:
        user = auth.create_user(
            session,
            actor=SYSTEM,
            username=username,
            password=PASSWORD,
            role=role,
            full_name=f"Cán bộ {username}",
        )
        assert user.id is not None
        return Staff(user.id, user.username, role, auth.actor_for_user(user))


def make_meeting(
    database: Database,
    *,
    secretary: Staff | None = None,
    chair: Staff | None = None,
    items: int = 3,
    title: str = "Họp Ban Thường vụ Đảng ủy",
) -> MeetingFixture:
    secretary = secretary or make_user(database, Role.SECRETARY)
    chair = chair or make_user(database, Role.CHAIR)
    with database.unit_of_work() as session:
        meeting = meetings.create_meeting(
            session,
            actor=secretary.actor,
            data=MeetingCreate(
                title=title,
                location="Phòng họp số 1",
                chair_id=chair.id,
                starts_at=(utcnow() + timedelta(days=1)).replace(minute=0, second=0, microsecond=0),
            ),
        )
        assert meeting.id is not None
        item_ids = []
        for n in range(items):
            item = agenda.add_item(
                session,
                actor=secretary.actor,
                meeting_id=meeting.id,
                data=AgendaItemCreate(
                    title=f"Nội dung {n + 1}: báo cáo tình hình", presenter="Đồng chí Hùng"
                ),
            )
            session.flush()
            assert item.id is not None
            item_ids.append(item.id)
        return MeetingFixture(meeting.id, item_ids, secretary, chair)


def make_attendee(
    database: Database, meeting: MeetingFixture, *, name: str = "Nguyễn Văn An", phone: str = ""
) -> int:
    with database.unit_of_work() as session:
        attendee = attendees.add_attendee(
            session,
            actor=meeting.secretary.actor,
            meeting_id=meeting.id,
            data=AttendeeCreate(full_name=name, position="Ủy viên", unit="Đảng ủy xã", phone=phone),
        )
        assert attendee.id is not None
        return attendee.id


def make_token(database: Database, meeting: MeetingFixture, attendee_id: int | None = None) -> str:
    attendee_id = attendee_id or make_attendee(database, meeting)
    with database.unit_of_work() as session:
        return pickup.issue_token(
            session,
            actor=meeting.secretary.actor,
            attendee_id=attendee_id,
            lifetime=timedelta(days=1),
        ).raw


def make_device(database: Database, meeting: MeetingFixture, attendee_id: int) -> int:
    """A tablet let in by the attendee's card (a device session); returns its id."""
    token = make_token(database, meeting, attendee_id)
    with database.unit_of_work() as session:
        opened = devices.open_device(session, token=token, user_agent="Tablet/1.0")
    assert opened is not None
    return opened.device_id


def make_alert(database: Database, meeting: MeetingFixture, attendee_id: int) -> int:
    """A card of a now-confidential meeting tried on a second device; returns the alert's id."""
    with database.unit_of_work() as session:
        row = session.get(Meeting, meeting.id)
        assert row is not None
        row.confidentiality = "mat"
    token = make_token(database, meeting, attendee_id)
    with database.unit_of_work() as session:
        devices.open_device(session, token=token)
        refused = devices.open_device(session, token=token)
    assert isinstance(refused, devices.SecondDevice)
    return refused.alert_id


def make_printout(database: Database, storage: Storage, meeting: MeetingFixture) -> int:
    """A ready printout (the room poster) of the meeting; returns its id."""
    from ecabinet.printing import service as printing
    from ecabinet.printing.models import PrintKind

    with database.unit_of_work() as session:
        printout = printing.request_printout(
            session,
            actor=meeting.secretary.actor,
            meeting_id=meeting.id,
            kind=PrintKind.POSTER,
            public_url="http://10.0.0.5:5000",
        )
        assert printout.id is not None
        printout_id = printout.id
    printing.build_printout(
        database, storage, printout_id=printout_id, settings=printing.PrintSettings()
    )
    return printout_id


def sample_pdf(title: str = "Báo cáo tổng kết năm 2026") -> bytes:
    return text_pdf(title, ["Nội dung tài liệu họp: Đảng ủy, Hội đồng nhân dân, Ủy ban."])


def make_document(
    database: Database, storage: Storage, meeting: MeetingFixture, *, title: str = "Báo cáo"
) -> DocumentPublic:
    """An uploaded document, already checked by its job (ready, with its thumbnail)."""
    pdf = sample_pdf(title)
    uploaded = upload_document(
        database,
        storage,
        actor=meeting.secretary.actor,
        meeting_id=meeting.id,
        stream=io.BytesIO(pdf),
        filename=f"{title}.pdf",
        title=title,
        max_bytes=10 * 1024 * 1024,
    )
    inspect_document(database, storage, document_id=uploaded.id, limits=PdfLimits())
    with database.unit_of_work(write=False) as session:
        return DocumentPublic.model_validate(session.get(Document, uploaded.id))


def make_screen(database: Database, meeting: MeetingFixture) -> tuple[int, str]:
    """A room screen paired to the meeting by its chair: (screen id, the cookie's secret)."""
    from ecabinet.live import screens

    with database.unit_of_work() as session:
        pending = screens.start_pairing(session)
    with database.unit_of_work() as session:
        paired = screens.pair_screen(
            session, actor=meeting.chair.actor, meeting_id=meeting.id, code=pending.code
        )
    return paired.id, pending.secret
