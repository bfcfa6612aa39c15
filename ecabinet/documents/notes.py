"""A delegate's private notes on a document: read and written by their author only.

A note is keyed by the document and the attendee the request's credential resolves to, never
by anything the client sends, so no other delegate and no staff member can reach it. It stays
on the server (a lost or swapped tablet, or a new card, keeps it) and goes with its document
or its attendee. Its text is never audited or logged: it is the delegate's own.
"""

from __future__ import annotations

import unicodedata
from datetime import datetime, timedelta

from pydantic import BaseModel, ConfigDict, Field
from sqlmodel import Session

from ecabinet.actor import Actor
from ecabinet.db import insert_or_ignore
from ecabinet.documents import service as documents
from ecabinet.documents.models import Document, DocumentNote
from ecabinet.errors import Conflict, Forbidden, Invalid
from ecabinet.meetings import service as meetings
from ecabinet.meetings.models import MeetingStatus
from ecabinet.permissions import Perm
from ecabinet.timeutil import UtcInstant, utcnow

MAX_NOTE_LENGTH = 20_000  # characters, after line breaks are made \n


class NotePublic(BaseModel):
    document_id: int
    body: str = Field(description='The note; "" when the delegate has none')
    updated_at: datetime | None = Field(
        description="When it was last saved (send it back as expected_updated_at); null: none"
    )


class NoteUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    # Its length is checked by the service (422 too_long), not here, so every client gets the
    # same code; the limit is still in the OpenAPI document.
    body: str = Field(
        title="Ghi chú",
        description=f"The whole note, at most {MAX_NOTE_LENGTH} characters; empty deletes it",
        json_schema_extra={"maxLength": MAX_NOTE_LENGTH},
    )
    expected_updated_at: UtcInstant | None = Field(
        default=None,
        title="Thời điểm lưu ghi chú",
        description="The updated_at this edit started from; a note saved since gives 409 "
        "edit_conflict. Null or left out: the last save wins",
    )


def _author(actor: Actor) -> int:
    if actor.attendee_id is None:
        raise Forbidden(
            "Ghi chú riêng chỉ dành cho đại biểu, trên máy tính bảng của mình.",
            code="notes_for_delegates_only",
        )
    return actor.attendee_id


def _readable(session: Session, actor: Actor, document_id: int) -> Document:
    """The document, if this delegate may read it (meeting and audience): NotFound otherwise."""
    return documents.get_document(
        session, actor=actor, document_id=document_id, perm=Perm.VIEW_MEETING
    )


def _public(document_id: int, note: DocumentNote | None) -> NotePublic:
    if note is None:
        return NotePublic(document_id=document_id, body="", updated_at=None)
    return NotePublic(document_id=document_id, body=note.body, updated_at=note.updated_at)


def _number(n: int) -> str:
    return f"{n:,}".replace(",", ".")  # 20.000, as Vietnamese writes it


def _clean(body: str) -> str:
    """NFC, line breaks as \\n; refuses control characters (a NUL cannot be stored) and
    lone surrogates (they cannot be encoded), and more than MAX_NOTE_LENGTH characters."""
    text = unicodedata.normalize("NFC", body).replace("\r\n", "\n").replace("\r", "\n")
    if any(unicodedata.category(ch) in ("Cc", "Cs") and ch not in "\n\t" for ch in text):
        raise Invalid(
            "Ghi chú không được chứa ký tự điều khiển.", code="invalid_characters", field="body"
        )
    if len(text) > MAX_NOTE_LENGTH:
        raise Invalid(
            f"Ghi chú dài tối đa {_number(MAX_NOTE_LENGTH)} ký tự "
            f"(ghi chú này có {_number(len(text))}).",
            code="too_long",
            field="body",
        )
    return text if text.strip() else ""


def _stored(session: Session, document_id: int, attendee_id: int) -> DocumentNote | None:
    # FOR UPDATE: on PostgreSQL two tablets saving at once queue here, so the check against
    # expected_updated_at and the write see the same row (SQLite's writers are serial).
    return session.get(
        DocumentNote,
        (document_id, attendee_id),
        with_for_update=True,
        populate_existing=True,
    )


def get_note(session: Session, *, actor: Actor, document_id: int) -> NotePublic:
    """The delegate's own note on a document they may read ("" and no time when none).
    Staff get Forbidden; a document outside the delegate's meeting or audience, NotFound."""
    attendee_id = _author(actor)
    _readable(session, actor, document_id)
    return _public(document_id, session.get(DocumentNote, (document_id, attendee_id)))


def save_note(
    session: Session,
    *,
    actor: Actor,
    document_id: int,
    body: str,
    expected_updated_at: datetime | None = None,
) -> NotePublic:
    """Replace the delegate's note on a document (an empty body deletes it); returns it.

    Idempotent: saving what is already stored changes nothing and succeeds whatever
    `expected_updated_at` says (a retried request whose answer was lost). Otherwise, with
    `expected_updated_at`, a note saved (or deleted) since then gives Conflict edit_conflict;
    without it the last save wins. Allowed until the meeting is archived (an ended meeting's
    notes can still be kept)."""
    attendee_id = _author(actor)
    document = _readable(session, actor, document_id)
    if meetings.get_meeting(session, document.meeting_id).status == MeetingStatus.ARCHIVED:
        raise Conflict("Cuộc họp đã lưu trữ, không thể sửa ghi chú.", code="meeting_archived")
    text = _clean(body)
    note = _stored(session, document_id, attendee_id)
    if (note.body if note is not None else "") == text:
        return _public(document_id, note)
    if expected_updated_at is not None and (note is None or note.updated_at != expected_updated_at):
        raise Conflict(
            "Ghi chú này vừa được sửa trên một máy khác. Hãy tải lại ghi chú rồi sửa tiếp.",
            code="edit_conflict",
        )
    if not text:
        assert note is not None  # an empty body and no note returned above
        session.delete(note)
        session.flush()
        return _public(document_id, None)
    now = utcnow()
    if note is None:
        inserted = session.execute(
            insert_or_ignore(session, DocumentNote)
            .values(document_id=document_id, attendee_id=attendee_id, body=text, updated_at=now)
            .on_conflict_do_nothing(index_elements=["document_id", "attendee_id"])
        )
        if inserted.rowcount == 1:  # type: ignore[attr-defined]
            return NotePublic(document_id=document_id, body=text, updated_at=now)
        # PostgreSQL: the delegate's other tablet wrote the first note meanwhile. The last
        # save wins (no expected_updated_at, or the check above would have refused).
        note = _stored(session, document_id, attendee_id)
        assert note is not None
    # Strictly later than the stored time, so every save is told apart from the one before.
    note.updated_at = max(now, note.updated_at + timedelta(microseconds=1))
    note.body = text
    session.add(note)
    session.flush()
    return _public(document_id, note)
