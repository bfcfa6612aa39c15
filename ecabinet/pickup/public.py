"""What the printed QR codes that are not cards open, for anyone who scans them: the
meeting's public page (the QR on the door and the room screen) and a cover sheet's
verification page. Neither gives access to any document's content."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, select

from ecabinet.agenda.service import numbered
from ecabinet.auth.models import User
from ecabinet.documents.access import level_of
from ecabinet.documents.models import Document, DocumentRevision, DocumentStatus
from ecabinet.meetings.models import (
    CONFIDENTIALITY_LABELS,
    Confidentiality,
    Meeting,
    MeetingStatus,
)

CODE_MAX = 24


@dataclass(frozen=True)
class PublicMeeting:
    code: str
    prepared: bool  # False: a draft, whose details are not out yet
    title: str
    kind: str
    organiser: str
    location: str
    starts_at: datetime | None
    ends_at: datetime | None
    status: str
    agenda: list[tuple[str, str, bool]]  # label, title, is a sub-item; empty unless allowed


def public_meeting(session: Session, *, code: str) -> PublicMeeting | None:
    """The meeting a door QR names, as anyone may see it; None if there is none."""
    if not code or len(code) > CODE_MAX:
        return None
    meeting = session.exec(select(Meeting).where(Meeting.public_code == code)).first()
    if meeting is None or meeting.id is None:
        return None
    prepared = meeting.status != MeetingStatus.DRAFT
    show_agenda = (
        prepared
        and meeting.public_agenda
        and meeting.confidentiality == Confidentiality.NORMAL
        and meeting.status != MeetingStatus.ARCHIVED
    )
    agenda = (
        [(i.label, i.title, i.parent_id is not None) for i in numbered(session, meeting.id)]
        if show_agenda
        else []
    )
    return PublicMeeting(
        code=code,
        prepared=prepared,
        title=meeting.title if prepared else "",
        kind=meeting.kind if prepared else "",
        organiser=meeting.organiser if prepared else "",
        location=meeting.location if prepared else "",
        starts_at=meeting.starts_at if prepared else None,
        ends_at=meeting.ends_at if prepared else None,
        status=meeting.status,
        agenda=agenda,
    )


@dataclass(frozen=True)
class Verification:
    document_title: str
    number: int  # this paper's revision
    latest: int  # the document's current revision
    current: bool
    level: str  # Thường, Mật, Tối mật
    issued_by: str  # the meeting's organiser, or the meeting when none is set
    uploaded_by: str
    uploaded_at: datetime
    meeting_title: str
    sha256: str  # of the file as uploaded: compare a copy's fingerprint with it
    pages: int


def verify_revision(session: Session, *, code: str) -> Verification | None:
    """What a cover sheet's QR says about the paper it is printed on; None if no revision
    has that code (never issued, or its document was deleted)."""
    if not code or len(code) > CODE_MAX:
        return None
    row = session.exec(
        select(DocumentRevision, Document, Meeting)
        .join(Document, col(Document.id) == col(DocumentRevision.document_id))
        .join(Meeting, col(Meeting.id) == col(Document.meeting_id))
        .where(
            DocumentRevision.verify_code == code,
            col(DocumentRevision.status).in_([DocumentStatus.READY, DocumentStatus.SUPERSEDED]),
        )
    ).first()
    if row is None:
        return None
    revision, document, meeting = row
    uploader = session.get(User, revision.uploaded_by_id) if revision.uploaded_by_id else None
    level = level_of(document.confidentiality, meeting.confidentiality)
    return Verification(
        document_title=document.title,
        number=revision.number,
        latest=document.revision,
        current=revision.number == document.revision,
        level=CONFIDENTIALITY_LABELS[level],
        issued_by=meeting.organiser or meeting.title,
        uploaded_by=(uploader.full_name or uploader.username) if uploader else "",
        uploaded_at=revision.created_at,
        meeting_title=meeting.title,
        sha256=revision.sha256,
        pages=revision.page_count,
    )
