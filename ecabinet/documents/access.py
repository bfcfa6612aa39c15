"""The record of who viewed a Mật / Tối mật document, written before its bytes leave.

A document's level is the higher of its own and its meeting's: every document of a Mật
meeting is at least Mật. One row covers one viewing: the many Range requests pdf.js makes
while a delegate reads, or a reload a few minutes later, extend the same row (its last time
and request count) instead of adding rows; after `VIEWING_GAP` without a request, the next
one starts a new viewing.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlmodel import Session, col, func, select

from ecabinet.actor import Actor
from ecabinet.db import insert_or_ignore
from ecabinet.documents.models import Document, DocumentAccess, DocumentOpened
from ecabinet.meetings.models import Confidentiality
from ecabinet.timeutil import utcnow

VIEWING_GAP = timedelta(minutes=30)
_RANK = {Confidentiality.NORMAL: 0, Confidentiality.SECRET: 1, Confidentiality.TOP_SECRET: 2}


def level_of(document_level: str, meeting_level: str) -> Confidentiality:
    """The level a document is handled at: the higher of its own and its meeting's."""
    levels = [Confidentiality(document_level), Confidentiality(meeting_level)]
    return max(levels, key=_RANK.__getitem__)


def is_secret(level: str) -> bool:
    return Confidentiality(level) != Confidentiality.NORMAL


def record_viewing(
    session: Session,
    *,
    actor: Actor,
    document: Document,
    level: Confidentiality,
    revision: int,
    via: str,
    now: datetime | None = None,
) -> DocumentAccess | None:
    """Record (or extend) `actor`'s viewing of a secret document; None for a normal one."""
    if not is_secret(level):
        return None
    now = now or utcnow()
    query = select(DocumentAccess).where(
        DocumentAccess.document_id == document.id,
        DocumentAccess.revision == revision,
        DocumentAccess.via == via,
        col(DocumentAccess.last_at) >= now - VIEWING_GAP,
    )
    if actor.attendee_id is not None:  # each of a delegate's tablets has viewings of its own
        query = query.where(
            DocumentAccess.attendee_id == actor.attendee_id,
            col(DocumentAccess.device_id).is_(None)
            if actor.device_id is None
            else DocumentAccess.device_id == actor.device_id,
        )
    else:
        query = query.where(DocumentAccess.user_id == actor.user_id)
    viewing = session.exec(query.order_by(col(DocumentAccess.id).desc())).first()
    if viewing is None:
        viewing = DocumentAccess(
            document_id=document.id,
            meeting_id=document.meeting_id,
            revision=revision,
            confidentiality=level,
            title=document.title,
            user_id=actor.user_id,
            attendee_id=actor.attendee_id,
            viewer_name=actor.name[:200],
            device_id=actor.device_id,
            via=via,
            first_at=now,
            last_at=now,
        )
    else:
        viewing.last_at = now
        viewing.requests += 1
    session.add(viewing)
    return viewing


def viewings(session: Session, document_id: int) -> list[DocumentAccess]:
    """A document's viewings, newest first (the caller has checked the reader may see them)."""
    query = select(DocumentAccess).where(DocumentAccess.document_id == document_id)
    return list(session.exec(query.order_by(col(DocumentAccess.id).desc())))


def viewing_counts(session: Session, meeting_id: int) -> dict[int, int]:
    """Document id → how many viewings its record holds, for a meeting's documents."""
    rows = session.exec(
        select(DocumentAccess.document_id, func.count())
        .where(DocumentAccess.meeting_id == meeting_id)
        .group_by(col(DocumentAccess.document_id))
    )
    return {document_id: count for document_id, count in rows if document_id is not None}


def record_opened(
    session: Session, *, document_id: int, attendee_id: int, now: datetime | None = None
) -> None:
    """Note that a delegate opened a document (any level), once: the secretary's pickup
    status shows who has read what. A second opening changes nothing."""
    values = {"document_id": document_id, "attendee_id": attendee_id, "first_at": now or utcnow()}
    session.execute(
        insert_or_ignore(session, DocumentOpened)
        .values(**values)
        .on_conflict_do_nothing(index_elements=["document_id", "attendee_id"])
    )


def opened_by(session: Session, attendee_ids: list[int]) -> dict[int, list[int]]:
    """The documents each of these delegates has opened, by attendee."""
    found: dict[int, list[int]] = {}
    for start in range(0, len(attendee_ids), 900):  # bound the IN list
        rows = session.exec(
            select(DocumentOpened.attendee_id, DocumentOpened.document_id).where(
                col(DocumentOpened.attendee_id).in_(attendee_ids[start : start + 900])
            )
        )
        for attendee_id, document_id in rows:
            found.setdefault(attendee_id, []).append(document_id)
    return found
