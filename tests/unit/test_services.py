"""Service rules, tested without HTTP or Flask: one test per rule."""

from __future__ import annotations

import io
import threading
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlmodel import select

from ecabinet.actor import SYSTEM, Actor, Role
from ecabinet.agenda import service as agenda
from ecabinet.agenda.schemas import AgendaItemCreate, AgendaItemUpdate
from ecabinet.auth import service as auth
from ecabinet.db import Database
from ecabinet.documents import service as documents
from ecabinet.documents.models import Audience, Document
from ecabinet.documents.storage import Storage
from ecabinet.documents.upload import upload_document
from ecabinet.errors import Conflict, Forbidden, Invalid, NotFound, Unauthorized
from ecabinet.live import service as live
from ecabinet.live.state import snapshot, state_for
from ecabinet.meetings import service as meetings
from ecabinet.meetings.models import Meeting
from ecabinet.meetings.schemas import MeetingCreate, MeetingUpdate
from ecabinet.permissions import Perm
from ecabinet.pickup import service as pickup
from ecabinet.pickup.models import AttendeeToken
from tests.factories import (
    PASSWORD,
    make_attendee,
    make_document,
    make_meeting,
    make_token,
    make_user,
    sample_pdf,
)


def titles(database: Database, meeting_id: int) -> list[str]:
    with database.unit_of_work(write=False) as session:
        return [item.title for item in agenda.list_items(session, meeting_id)]


def version(database: Database, meeting_id: int) -> int:
    with database.unit_of_work(write=False) as session:
        return meetings.get_meeting(session, meeting_id).version


def test_create_meeting_makes_creator_secretary_and_normalises_nfc(database: Database) -> None:
    secretary = make_user(database, Role.SECRETARY)
    decomposed = "Ho\u0323p Đa\u0309ng u\u0309y"  # NFD input, as some keyboards send it
    with database.unit_of_work() as session:
        meeting = meetings.create_meeting(
            session, actor=secretary.actor, data=MeetingCreate(title=decomposed)
        )
    assert meeting.secretary_id == secretary.id
    assert meeting.title == "Họp Đảng ủy"
    assert meeting.status == "draft"


def test_chair_cannot_create_meetings(database: Database) -> None:
    chair = make_user(database, Role.CHAIR)
    with database.unit_of_work() as session, pytest.raises(Forbidden):
        meetings.create_meeting(session, actor=chair.actor, data=MeetingCreate(title="Họp"))


def test_meeting_chair_must_be_a_chair_account(database: Database) -> None:
    secretary = make_user(database, Role.SECRETARY)
    other = make_user(database, Role.SECRETARY)
    with database.unit_of_work() as session, pytest.raises(Invalid) as err:
        meetings.create_meeting(
            session, actor=secretary.actor, data=MeetingCreate(title="Họp", chair_id=other.id)
        )
    assert err.value.field == "chair_id"


def test_outsider_secretary_gets_not_found_for_someone_elses_meeting(database: Database) -> None:
    meeting = make_meeting(database)
    outsider = make_user(database, Role.SECRETARY)
    with database.unit_of_work() as session, pytest.raises(NotFound):
        meetings.update_meeting(
            session, actor=outsider.actor, meeting_id=meeting.id, data=MeetingUpdate(title="X")
        )


def test_chair_may_view_but_not_edit(database: Database) -> None:
    meeting = make_meeting(database)
    with database.unit_of_work() as session:
        meetings.load_meeting(
            session, actor=meeting.chair.actor, meeting_id=meeting.id, perm=Perm.VIEW_MEETING
        )
        with pytest.raises(Forbidden):
            meetings.update_meeting(
                session,
                actor=meeting.chair.actor,
                meeting_id=meeting.id,
                data=MeetingUpdate(title="X"),
            )


def test_list_meetings_shows_only_own_meetings(database: Database) -> None:
    mine = make_meeting(database, title="Của tôi")
    make_meeting(database, title="Của người khác")
    with database.unit_of_work(write=False) as session:
        listed = visible(session, mine.secretary.actor)
        everything = visible(session, SYSTEM)
    assert [m.title for m in listed] == ["Của tôi"]
    assert len(everything) == 2


def test_add_item_at_position_renumbers(database: Database) -> None:
    meeting = make_meeting(database, items=3)
    with database.unit_of_work() as session:
        agenda.add_item(
            session,
            actor=meeting.secretary.actor,
            meeting_id=meeting.id,
            data=AgendaItemCreate(title="Chen vào đầu", position=0),
        )
    assert titles(database, meeting.id)[0] == "Chen vào đầu"
    with database.unit_of_work(write=False) as session:
        assert [i.position for i in agenda.list_items(session, meeting.id)] == [0, 1, 2, 3]


def test_move_item_keeps_positions_contiguous(database: Database) -> None:
    meeting = make_meeting(database, items=4)
    before = titles(database, meeting.id)
    with database.unit_of_work() as session:
        agenda.move_item(
            session, actor=meeting.secretary.actor, item_id=meeting.item_ids[0], position=3
        )
    after = titles(database, meeting.id)
    assert after == [*before[1:], before[0]]
    with database.unit_of_work() as session:
        agenda.move_item(
            session, actor=meeting.secretary.actor, item_id=meeting.item_ids[0], position=1
        )
    assert titles(database, meeting.id) == [before[1], before[0], before[2], before[3]]


def test_delete_item_renumbers_and_bumps_version(database: Database) -> None:
    meeting = make_meeting(database, items=3)
    v0 = version(database, meeting.id)
    with database.unit_of_work() as session:
        agenda.delete_item(session, actor=meeting.secretary.actor, item_id=meeting.item_ids[1])
    with database.unit_of_work(write=False) as session:
        items = agenda.list_items(session, meeting.id)
    assert [i.position for i in items] == [0, 1]
    assert version(database, meeting.id) == v0 + 1


def test_update_item_rejects_blank_title(database: Database) -> None:
    make_meeting(database)
    with pytest.raises(ValueError, match="title"):
        AgendaItemUpdate(title="   ")


def test_every_change_bumps_version_once(database: Database) -> None:
    meeting = make_meeting(database, items=2)
    v0 = version(database, meeting.id)
    with database.unit_of_work() as session:
        agenda.update_item(
            session,
            actor=meeting.secretary.actor,
            item_id=meeting.item_ids[0],
            data=AgendaItemUpdate(presenter="Đồng chí Lan"),
        )
    assert version(database, meeting.id) == v0 + 1


def test_live_walkthrough(database: Database) -> None:
    meeting = make_meeting(database, items=3)
    chair = meeting.chair.actor
    with database.unit_of_work() as session:
        started = live.start_meeting(session, actor=chair, meeting_id=meeting.id)
        assert (started.status, started.current_item_id) == ("live", meeting.item_ids[0])
        assert (
            live.step(session, actor=chair, meeting_id=meeting.id, delta=1).current_item_id
            == meeting.item_ids[1]
        )
        assert (
            live.jump_to(
                session, actor=chair, meeting_id=meeting.id, item_id=meeting.item_ids[2]
            ).current_item_id
            == meeting.item_ids[2]
        )
        with pytest.raises(Conflict) as at_end:
            live.step(session, actor=chair, meeting_id=meeting.id, delta=1)
        assert at_end.value.code == "at_last_item"
        assert (
            live.step(session, actor=chair, meeting_id=meeting.id, delta=-1).current_item_id
            == meeting.item_ids[1]
        )
        ended = live.end_meeting(session, actor=chair, meeting_id=meeting.id)
        assert (ended.status, ended.current_item_id) == ("ended", None)
        with pytest.raises(Conflict):
            live.step(session, actor=chair, meeting_id=meeting.id, delta=1)


def test_concurrent_steps_of_one_meeting_each_move_one_item(database: Database) -> None:
    """Two people stepping at once from separate connections: no step is lost (PostgreSQL
    locks the meeting row for the step; SQLite's writers are serial)."""
    meeting = make_meeting(database, items=45)
    with database.unit_of_work() as session:
        live.start_meeting(session, actor=meeting.chair.actor, meeting_id=meeting.id)
    errors: list[BaseException] = []

    def steps(actor: Actor) -> None:
        try:
            for _ in range(20):
                with database.unit_of_work() as session:
                    live.step(session, actor=actor, meeting_id=meeting.id, delta=1)
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    people = (meeting.chair.actor, meeting.secretary.actor)
    threads = [threading.Thread(target=steps, args=(actor,)) for actor in people]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    with database.unit_of_work(write=False) as session:
        row = meetings.meeting_row(session, meeting.id)
    assert row is not None
    assert row.current_item_id == meeting.item_ids[40]


def test_live_control_needs_control_permission(database: Database) -> None:
    meeting = make_meeting(database)
    token = make_token(database, meeting)
    other_chair = make_user(database, Role.CHAIR)
    with database.unit_of_work() as session:
        attendee = pickup.resolve_token(session, raw=token)
        assert attendee is not None
        with pytest.raises(Forbidden):
            live.start_meeting(session, actor=attendee, meeting_id=meeting.id)
        with pytest.raises(NotFound):
            live.start_meeting(session, actor=other_chair.actor, meeting_id=meeting.id)


def test_jump_to_item_of_another_meeting_is_invalid(database: Database) -> None:
    meeting = make_meeting(database)
    other = make_meeting(database)
    with database.unit_of_work() as session:
        live.start_meeting(session, actor=meeting.chair.actor, meeting_id=meeting.id)
    with database.unit_of_work() as session, pytest.raises(Invalid):
        live.jump_to(
            session, actor=meeting.chair.actor, meeting_id=meeting.id, item_id=other.item_ids[0]
        )


def test_current_item_cannot_be_deleted_while_live(database: Database) -> None:
    meeting = make_meeting(database)
    with database.unit_of_work() as session:
        live.start_meeting(session, actor=meeting.chair.actor, meeting_id=meeting.id)
    with database.unit_of_work() as session, pytest.raises(Conflict):
        agenda.delete_item(session, actor=meeting.secretary.actor, item_id=meeting.item_ids[0])


def test_ended_meeting_is_read_only(database: Database) -> None:
    meeting = make_meeting(database)
    with database.unit_of_work() as session:
        live.start_meeting(session, actor=meeting.chair.actor, meeting_id=meeting.id)
        live.end_meeting(session, actor=meeting.chair.actor, meeting_id=meeting.id)
    with database.unit_of_work() as session, pytest.raises(Conflict):
        agenda.add_item(
            session,
            actor=meeting.secretary.actor,
            meeting_id=meeting.id,
            data=AgendaItemCreate(title="Muộn"),
        )


def test_rolled_back_change_leaves_version_untouched(database: Database) -> None:
    meeting = make_meeting(database)
    v0 = version(database, meeting.id)

    def start_then_crash() -> None:
        with database.unit_of_work() as session:
            live.start_meeting(session, actor=meeting.chair.actor, meeting_id=meeting.id)
            raise RuntimeError("crash before commit")

    with pytest.raises(RuntimeError):
        start_then_crash()
    assert version(database, meeting.id) == v0
    with database.unit_of_work(write=False) as session:
        assert session.get(Meeting, meeting.id).status == "draft"


def test_snapshot_carries_items_documents_and_version(database: Database) -> None:
    meeting = make_meeting(database, items=2)
    with database.unit_of_work(write=False) as session:
        state = state_for(session, meeting.id, meeting.chair.actor)
    assert state is not None
    assert [i["id"] for i in state["items"]] == meeting.item_ids
    assert state["version"] == version(database, meeting.id)
    assert state["documents"] == []


def test_each_viewer_gets_the_documents_meant_for_them(
    database: Database, storage: Storage
) -> None:
    """One snapshot, several views: staff see everything (restricted ones marked), each
    attendee the documents for everyone plus those chosen for them; viewers who see the same
    share one view, so a push is encoded once per view."""
    meeting = make_meeting(database, items=1)
    an, binh, chi = (make_attendee(database, meeting, name=n) for n in ("An", "Bình", "Chi"))
    public = make_document(database, storage, meeting, title="Chương trình")
    secret = make_document(database, storage, meeting, title="Tờ trình nhân sự")
    with database.unit_of_work() as session:
        documents.set_audience(
            session,
            actor=meeting.secretary.actor,
            document_id=secret.id,
            audience=Audience.CHOSEN,
            attendee_ids=[an],
        )
    with database.unit_of_work(write=False) as session:
        current = snapshot(session, meeting.id)
    assert current is not None
    staff_docs = current.for_view(current.view_of(None))["documents"]
    assert [(d["id"], d.get("restricted")) for d in staff_docs] == [
        (public.id, False),
        (secret.id, True),
    ]
    for_an = current.for_view(current.view_of(an))["documents"]
    assert [d["id"] for d in for_an] == [public.id, secret.id]
    assert "restricted" not in for_an[0]
    assert [d["id"] for d in current.for_view(current.view_of(binh))["documents"]] == [public.id]
    assert current.view_of(binh) == current.view_of(chi) != current.view_of(an)
    attendee = Actor.attendee(binh, meeting.id)
    with database.unit_of_work(write=False) as session:
        with pytest.raises(NotFound):
            documents.get_document(
                session, actor=attendee, document_id=secret.id, perm=Perm.VIEW_MEETING
            )
        visible = documents.visible_documents(session, actor=attendee, meeting_id=meeting.id)
        assert [d.id for d in visible] == [public.id]


def test_the_default_password_hash_keeps_its_strength() -> None:
    """The suite hashes at a test cost (conftest); what a server uses is Argon2id at
    RFC 9106's low-memory profile or stronger, which OWASP's minimum is well below."""
    hasher = auth.DEFAULT_HASHER
    assert hasher.type.name == "ID"
    assert hasher.memory_cost >= 64 * 1024  # KiB
    assert hasher.time_cost >= 3
    assert hasher.hash("x").startswith("$argon2id$v=19$m=65536,t=3")


def test_password_hash_is_argon2_and_login_works(database: Database) -> None:
    staff = make_user(database, Role.SECRETARY, username="thu.ky")
    with database.unit_of_work() as session:
        user = auth.authenticate(session, username="THU.KY", password=PASSWORD)
        assert user.id == staff.id
        assert user.password_hash.startswith("$argon2id$")
        with pytest.raises(Unauthorized) as wrong:
            auth.authenticate(session, username="thu.ky", password="sai")
        with pytest.raises(Unauthorized) as unknown:
            auth.authenticate(session, username="khong-co", password="sai")
    assert wrong.value.message == unknown.value.message  # no user enumeration


def test_duplicate_username_conflicts(database: Database) -> None:
    make_user(database, Role.CHAIR, username="chutoa")
    with database.unit_of_work() as session, pytest.raises(Conflict):
        auth.create_user(
            session, actor=SYSTEM, username="chutoa", password=PASSWORD, role=Role.CHAIR
        )


def test_only_admins_create_users(database: Database) -> None:
    secretary = make_user(database, Role.SECRETARY)
    with database.unit_of_work() as session, pytest.raises(Forbidden):
        auth.create_user(
            session, actor=secretary.actor, username="moi", password=PASSWORD, role=Role.CHAIR
        )


def test_password_change_ends_sessions_and_api_tokens(database: Database) -> None:
    staff = make_user(database, Role.SECRETARY)
    with database.unit_of_work() as session:
        user = auth.authenticate(session, username=staff.username, password=PASSWORD)
        raw, _ = auth.issue_api_token(session, user=user, ttl=timedelta(hours=1))
        old_version = user.session_version
    with database.unit_of_work() as session:
        auth.set_password(session, actor=staff.actor, user_id=staff.id, password="mat-khau-moi-123")
    with database.unit_of_work(write=False) as session:
        assert auth.load_staff_actor(session, user_id=staff.id, session_version=old_version) is None
        assert auth.load_token_actor(session, raw=raw) is None


def test_api_token_expires(database: Database) -> None:
    staff = make_user(database, Role.CHAIR)
    now = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
    with database.unit_of_work() as session:
        user = auth.authenticate(session, username=staff.username, password=PASSWORD)
        raw, _ = auth.issue_api_token(session, user=user, ttl=timedelta(hours=1), now=now)
    with database.unit_of_work(write=False) as session:
        assert auth.load_token_actor(session, raw=raw, now=now + timedelta(minutes=59)) is not None
        assert auth.load_token_actor(session, raw=raw, now=now + timedelta(hours=1)) is None


def test_attendee_token_is_random_hashed_revocable_and_expiring(database: Database) -> None:
    meeting = make_meeting(database)
    attendee_id = make_attendee(database, meeting)
    now = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
    with database.unit_of_work() as session:
        issued = pickup.issue_token(
            session,
            actor=meeting.secretary.actor,
            attendee_id=attendee_id,
            lifetime=timedelta(days=1),
            now=now,
        )
    assert len(issued.raw) >= 22  # 128 bits, URL-safe
    with database.unit_of_work(write=False) as session:
        stored = session.exec(select(AttendeeToken)).one()
        assert issued.raw not in stored.token_hash
        actor = pickup.resolve_token(session, raw=issued.raw, now=now)
        assert actor == Actor.attendee(attendee_id, meeting.id, "Nguyễn Văn An").until(
            now + timedelta(days=1)
        )
        assert pickup.resolve_token(session, raw=issued.raw, now=now + timedelta(days=1)) is None
    with database.unit_of_work() as session:
        second = pickup.issue_token(
            session,
            actor=meeting.secretary.actor,
            attendee_id=attendee_id,
            lifetime=timedelta(days=1),
            now=now,
        )
    with database.unit_of_work(write=False) as session:
        assert pickup.resolve_token(session, raw=issued.raw, now=now) is None  # re-issue revokes
        assert pickup.resolve_token(session, raw=second.raw, now=now) is not None


def test_deleting_attendee_kills_their_token(database: Database) -> None:
    from ecabinet.attendees import service as attendees

    meeting = make_meeting(database)
    attendee_id = make_attendee(database, meeting)
    token = make_token(database, meeting, attendee_id)
    with database.unit_of_work() as session:
        attendees.delete_attendee(session, actor=meeting.secretary.actor, attendee_id=attendee_id)
    with database.unit_of_work(write=False) as session:
        assert pickup.resolve_token(session, raw=token) is None


def test_attendee_phone_is_normalised_and_unique_per_meeting(database: Database) -> None:
    from ecabinet.attendees import service as attendees
    from ecabinet.attendees.schemas import AttendeeCreate

    meeting = make_meeting(database)
    with database.unit_of_work() as session:
        first = attendees.add_attendee(
            session,
            actor=meeting.secretary.actor,
            meeting_id=meeting.id,
            data=AttendeeCreate(full_name="Trần Thị Bình", phone="0912 345 678"),
        )
        assert first.phone == "+84912345678"
    with database.unit_of_work() as session, pytest.raises(Conflict):
        attendees.add_attendee(
            session,
            actor=meeting.secretary.actor,
            meeting_id=meeting.id,
            data=AttendeeCreate(full_name="Người khác", phone="+84 912 345 678"),
        )


def test_the_system_actor_is_an_administrator_that_never_lands_in_a_foreign_key(
    database: Database, storage: Storage
) -> None:
    """A job or the CLI acting for the system must be able to do what an admin can."""
    with database.unit_of_work() as session:
        meeting = meetings.create_meeting(
            session, actor=SYSTEM, data=MeetingCreate(title="Hội nghị do hệ thống tạo")
        )
        assert meeting.id is not None
        assert meeting.secretary_id is None
        meeting_id = meeting.id
    document = upload_document(
        database,
        storage,
        actor=SYSTEM,
        meeting_id=meeting_id,
        stream=io.BytesIO(sample_pdf()),
        filename="Báo cáo.pdf",
        max_bytes=10_000_000,
    )
    with database.unit_of_work(write=False) as session:
        row = session.get(Document, document.id)
        assert row is not None
        assert row.uploaded_by_id is None
        assert visible(session, SYSTEM)[0].id == meeting_id
    assert SYSTEM.is_staff
    assert SYSTEM.user_id is None


def visible(session: Any, actor: Actor) -> list[Any]:
    """Every meeting `actor` may list (one page big enough for a test)."""
    from ecabinet.meetings.schemas import MeetingFilters

    return meetings.search_meetings(session, actor=actor, filters=MeetingFilters(per_page=200))[0]
