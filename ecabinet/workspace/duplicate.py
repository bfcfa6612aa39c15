"""Duplicate a meeting as the start of the next one: its details, agenda, attendee list and
document links, in a new draft. It spans four features, so it lives in the workspace, which
composes them (none of them imports it).

Documents are linked, not copied: the new rows name the same stored blob (blobs are named by
their sha256 and deleted only when no row names them any more).
"""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, col, select

from ecabinet.actor import Actor
from ecabinet.agenda.models import AgendaItem
from ecabinet.attendees.models import Attendee
from ecabinet.documents.models import Document, DocumentAudience, DocumentStatus
from ecabinet.documents.service import first_revision
from ecabinet.meetings import service as meetings
from ecabinet.meetings.models import Confidentiality, Meeting
from ecabinet.meetings.schemas import MeetingCreate
from ecabinet.permissions import Perm


def duplicate_meeting(
    session: Session, *, actor: Actor, meeting_id: int, title: str | None = None
) -> Meeting:
    """A new draft with the source's details (no dates), agenda, attendees (no links) and
    ready documents (same audiences); its creator is `actor`. Returns the new meeting."""
    source = meetings.load_meeting(
        session, actor=actor, meeting_id=meeting_id, perm=Perm.EDIT_MEETING
    )
    copy = meetings.create_meeting(
        session,
        actor=actor,
        data=MeetingCreate(
            title=(title or f"{source.title} (bản sao)")[:300],
            kind=source.kind,
            organiser=source.organiser,
            location=source.location,
            confidentiality=Confidentiality(source.confidentiality),
            chair_id=source.chair_id,
            secretary_ids=sorted(source.secretary_ids - {actor.user_id or 0}),
        ),
    )
    assert copy.id is not None
    items = _copy_rows(
        session,
        AgendaItem,
        meeting_id,
        copy.id,
        ("position", "title", "presenter", "duration_minutes", "notes"),
    )
    # Sub-items point at their copied parents (a parent may have a later id than its child).
    for old_id, parent_id in session.exec(
        select(AgendaItem.id, AgendaItem.parent_id).where(
            AgendaItem.meeting_id == meeting_id, col(AgendaItem.parent_id).is_not(None)
        )
    ):
        assert old_id is not None
        copied = session.get(AgendaItem, items[old_id])
        assert copied is not None
        assert parent_id is not None
        copied.parent_id = items[parent_id]
        session.add(copied)
    people = _copy_rows(
        session,
        Attendee,
        meeting_id,
        copy.id,
        ("full_name", "position", "unit", "phone", "role", "search_text"),
    )
    ready = select(Document).where(
        Document.meeting_id == meeting_id, Document.status == DocumentStatus.READY
    )
    for document in session.exec(ready.order_by(col(Document.id))):
        new_document = Document(
            meeting_id=copy.id,
            agenda_item_id=items.get(document.agenda_item_id or 0),
            title=document.title,
            filename=document.filename,
            content_type=document.content_type,
            size=document.size,
            sha256=document.sha256,
            page_count=document.page_count,
            status=document.status,
            has_thumbnail=document.has_thumbnail,
            pdf_sha256=document.pdf_sha256,
            audience=document.audience,
            confidentiality=document.confidentiality,
            uploaded_by_id=actor.user_id,
        )
        session.add(new_document)
        session.flush()
        session.add(first_revision(new_document))  # the copy starts at its own revision 1
        assert document.id is not None
        assert new_document.id is not None
        chosen = session.exec(
            select(DocumentAudience.attendee_id).where(DocumentAudience.document_id == document.id)
        )
        for attendee_id in chosen:
            if attendee_id in people:
                session.add(
                    DocumentAudience(document_id=new_document.id, attendee_id=people[attendee_id])
                )
    session.flush()
    return copy


def _copy_rows(
    session: Session, model: Any, source_id: int, target_id: int, fields: tuple[str, ...]
) -> dict[int, int]:
    """Copy a meeting's rows of `model` (these fields) to another meeting, in id order;
    returns old id → new id."""
    mapping: dict[int, int] = {}
    for row in session.exec(
        select(model).where(model.meeting_id == source_id).order_by(col(model.id))
    ):
        copied = model(meeting_id=target_id, **{field: getattr(row, field) for field in fields})
        session.add(copied)
        session.flush()
        mapping[row.id] = copied.id
    return mapping
