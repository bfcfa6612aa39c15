"""The rules of a delegate's private notes (documents.notes), without HTTP."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlmodel import select

from ecabinet.actor import SYSTEM, Actor
from ecabinet.attendees import service as attendees
from ecabinet.db import Database
from ecabinet.documents import notes
from ecabinet.documents.models import DocumentNote
from ecabinet.documents.storage import Storage
from ecabinet.errors import Conflict, Forbidden, Invalid, NotFound
from ecabinet.live import service as live
from ecabinet.meetings import lifecycle
from tests.factories import MeetingFixture, make_attendee, make_document, make_meeting


@pytest.fixture
def meeting(database: Database) -> MeetingFixture:
    return make_meeting(database)


@pytest.fixture
def document_id(database: Database, storage: Storage, meeting: MeetingFixture) -> int:
    return make_document(database, storage, meeting).id


def delegate(database: Database, meeting: MeetingFixture, name: str = "Nguyễn Văn An") -> Actor:
    return Actor.attendee(make_attendee(database, meeting, name=name), meeting.id, name)


def save(
    database: Database,
    actor: Actor,
    document_id: int,
    body: str,
    expected_updated_at: datetime | None = None,
) -> notes.NotePublic:
    with database.unit_of_work() as session:
        return notes.save_note(
            session,
            actor=actor,
            document_id=document_id,
            body=body,
            expected_updated_at=expected_updated_at,
        )


def read(database: Database, actor: Actor, document_id: int) -> notes.NotePublic:
    with database.unit_of_work(write=False) as session:
        return notes.get_note(session, actor=actor, document_id=document_id)


def test_only_delegates_have_notes(
    database: Database, meeting: MeetingFixture, document_id: int
) -> None:
    for staff in (meeting.secretary.actor, meeting.chair.actor, SYSTEM):
        with pytest.raises(Forbidden) as refused:
            read(database, staff, document_id)
        assert refused.value.code == "notes_for_delegates_only"
        with pytest.raises(Forbidden):
            save(database, staff, document_id, "x")


def test_notes_are_keyed_by_the_actors_attendee(
    database: Database, meeting: MeetingFixture, document_id: int
) -> None:
    an, binh = delegate(database, meeting), delegate(database, meeting, "Trần Thị Bình")
    save(database, an, document_id, "của An")
    assert read(database, binh, document_id).body == ""
    save(database, binh, document_id, "của Bình")
    assert (read(database, an, document_id).body, read(database, binh, document_id).body) == (
        "của An",
        "của Bình",
    )
    outsider = delegate(database, make_meeting(database))
    with pytest.raises(NotFound):
        read(database, outsider, document_id)
    with pytest.raises(NotFound):
        save(database, outsider, document_id, "x")


def test_saving_is_idempotent_and_each_change_gets_a_later_time(
    database: Database, meeting: MeetingFixture, document_id: int
) -> None:
    an = delegate(database, meeting)
    first = save(database, an, document_id, "Nội dung")
    assert first.updated_at is not None
    assert save(database, an, document_id, "Nội dung") == first  # nothing changed, same time
    later = save(database, an, document_id, "Nội dung mới", expected_updated_at=first.updated_at)
    assert later.updated_at is not None
    assert later.updated_at > first.updated_at
    # The retry of that save, still naming the time it started from: already done, no conflict.
    again = save(database, an, document_id, "Nội dung mới", expected_updated_at=first.updated_at)
    assert again == later
    with pytest.raises(Conflict) as stale:
        save(database, an, document_id, "khác", expected_updated_at=first.updated_at)
    assert stale.value.code == "edit_conflict"


def test_a_note_deleted_on_the_other_tablet_is_a_conflict_for_a_stale_edit(
    database: Database, meeting: MeetingFixture, document_id: int
) -> None:
    an = delegate(database, meeting)
    first = save(database, an, document_id, "Nội dung")
    assert first.updated_at is not None
    save(database, an, document_id, "")
    with pytest.raises(Conflict):
        save(database, an, document_id, "sửa", expected_updated_at=first.updated_at)
    with pytest.raises(Conflict):  # nor may a guessed time pass for a note that never was
        save(database, an, document_id, "sửa", expected_updated_at=first.updated_at - timedelta(1))
    assert read(database, an, document_id).updated_at is None


def test_text_is_nfc_with_plain_line_breaks_and_bounded(
    database: Database, meeting: MeetingFixture, document_id: int
) -> None:
    an = delegate(database, meeting)
    saved = save(database, an, document_id, "Ho\u0323p\r\nlần 2\rxong\t.")
    assert saved.body == "Họp\nlần 2\nxong\t."
    for bad, code in (("\x00", "invalid_characters"), ("\ud800", "invalid_characters")):
        with pytest.raises(Invalid) as refused:
            save(database, an, document_id, bad)
        assert refused.value.code == code
    with pytest.raises(Invalid) as long:
        save(database, an, document_id, "a" * (notes.MAX_NOTE_LENGTH + 1))
    assert (long.value.code, long.value.field) == ("too_long", "body")
    assert read(database, an, document_id).body == "Họp\nlần 2\nxong\t."


def test_notes_stay_editable_after_the_meeting_ends_until_it_is_archived(
    database: Database, meeting: MeetingFixture, document_id: int
) -> None:
    an = delegate(database, meeting)
    with database.unit_of_work() as session:
        live.start_meeting(session, actor=meeting.secretary.actor, meeting_id=meeting.id)
        live.end_meeting(session, actor=meeting.secretary.actor, meeting_id=meeting.id)
    save(database, an, document_id, "sau khi kết thúc")
    with database.unit_of_work() as session:
        lifecycle.archive(session, actor=meeting.secretary.actor, meeting_id=meeting.id)
    with pytest.raises(Conflict) as archived:
        save(database, an, document_id, "sau khi lưu trữ")
    assert archived.value.code == "meeting_archived"
    assert read(database, an, document_id).body == "sau khi kết thúc"


def test_notes_go_with_their_attendee(
    database: Database, meeting: MeetingFixture, document_id: int
) -> None:
    an = delegate(database, meeting)
    save(database, an, document_id, "Nội dung")
    with database.unit_of_work() as session:
        assert an.attendee_id is not None
        attendees.delete_attendee(
            session, actor=meeting.secretary.actor, attendee_id=an.attendee_id
        )
    with database.unit_of_work(write=False) as session:
        assert session.exec(select(DocumentNote)).all() == []
