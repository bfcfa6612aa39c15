"""Documents: metadata in the database, bytes in the storage folder under their sha256."""

from __future__ import annotations

import secrets
from datetime import datetime
from enum import StrEnum

from sqlalchemy import Text, UniqueConstraint
from sqlmodel import Column, Field, SQLModel

from ecabinet.timeutil import UtcDateTime, utcnow


class DocumentStatus(StrEnum):
    PROCESSING = "processing"  # stored; the documents.inspect job has not finished
    READY = "ready"  # checked: tablets get it
    REJECTED = "rejected"  # the check refused it; rejection_* say why
    SUPERSEDED = "superseded"  # (revisions only) was current until a later one became ready


class Audience(StrEnum):
    ALL = "all"  # every attendee of the meeting
    CHOSEN = "chosen"  # only the attendees listed in document_audience


class Document(SQLModel, table=True):
    __tablename__ = "document"
    __table_args__ = {"sqlite_autoincrement": True}  # ids are never reused

    id: int | None = Field(default=None, primary_key=True)
    meeting_id: int = Field(foreign_key="meeting.id", ondelete="CASCADE", index=True)
    agenda_item_id: int | None = Field(
        default=None, foreign_key="agenda_item.id", ondelete="SET NULL", index=True
    )
    title: str = Field(max_length=300)
    filename: str = Field(max_length=255)  # as uploaded, NFC
    content_type: str = Field(default="application/pdf", max_length=100)
    size: int
    sha256: str = Field(max_length=64, index=True)
    page_count: int = 0
    status: str = Field(default=DocumentStatus.PROCESSING, max_length=16)
    rejection_code: str = Field(default="", max_length=40)
    rejection_message: str = Field(default="", max_length=300)
    has_thumbnail: bool = False  # storage.thumbnail_path(sha256) holds a first-page PNG
    # A Word / Excel file's PDF conversion (documents/office.py), which tablets read; "" for
    # a PDF (it is its own) and for an office file not converted (downloaded as it is).
    pdf_sha256: str = Field(default="", max_length=64)
    audience: str = Field(default=Audience.ALL, max_length=16)
    # meetings.models.Confidentiality: normal, mat, toi_mat. Serving a secret tier's bytes
    # records who (document_access) before they leave.
    confidentiality: str = Field(default="normal", max_length=16)
    # The current revision's number: the file fields above are that revision's (a copy of
    # its document_revision row), so every reader of the current file reads one row.
    revision: int = 1
    uploaded_by_id: int | None = Field(
        default=None, foreign_key="user_account.id", ondelete="SET NULL"
    )
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UtcDateTime, nullable=False)
    )


class DocumentAudience(SQLModel, table=True):
    """The attendees who may see a document whose audience is "chosen"."""

    __tablename__ = "document_audience"

    document_id: int = Field(foreign_key="document.id", ondelete="CASCADE", primary_key=True)
    attendee_id: int = Field(
        foreign_key="attendee.id", ondelete="CASCADE", primary_key=True, index=True
    )


class DocumentRevision(SQLModel, table=True):
    """Every revision of a document: the current one (mirrored in its document row), those
    it replaced (superseded, still downloadable by staff) and newer uploads still being
    checked or refused. A new upload becomes current only once its check passes, so
    tablets never lose the document in between."""

    __tablename__ = "document_revision"
    __table_args__ = (
        UniqueConstraint("document_id", "number", name="uq_document_revision_number"),
        {"sqlite_autoincrement": True},
    )

    id: int | None = Field(default=None, primary_key=True)
    document_id: int = Field(foreign_key="document.id", ondelete="CASCADE", index=True)
    number: int  # 1, 2, ... per document
    filename: str = Field(max_length=255)
    content_type: str = Field(default="application/pdf", max_length=100)
    size: int
    sha256: str = Field(max_length=64, index=True)
    page_count: int = 0
    status: str = Field(default=DocumentStatus.PROCESSING, max_length=16)
    rejection_code: str = Field(default="", max_length=40)
    rejection_message: str = Field(default="", max_length=300)
    has_thumbnail: bool = False
    pdf_sha256: str = Field(default="", max_length=64)  # as Document.pdf_sha256
    # The QR on a cover sheet opens /v/<verify_code>: which document and revision this paper
    # is, and whether it is still current, without any of its content.
    verify_code: str = Field(
        default_factory=lambda: secrets.token_urlsafe(9), max_length=24, unique=True
    )
    uploaded_by_id: int | None = Field(
        default=None, foreign_key="user_account.id", ondelete="SET NULL"
    )
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UtcDateTime, nullable=False)
    )


class DocumentAccess(SQLModel, table=True):
    """A viewing of a Mật / Tối mật document, recorded before its bytes leave: one row per
    viewer, revision and viewing (the Range requests of one reading share a row). Kept when
    the document, meeting or person goes: the record says what happened then."""

    __tablename__ = "document_access"
    __table_args__ = {"sqlite_autoincrement": True}  # ids are never reused

    id: int | None = Field(default=None, primary_key=True)
    document_id: int | None = Field(
        default=None, foreign_key="document.id", ondelete="SET NULL", index=True
    )
    meeting_id: int | None = Field(
        default=None, foreign_key="meeting.id", ondelete="SET NULL", index=True
    )
    revision: int
    confidentiality: str = Field(max_length=16)
    title: str = Field(max_length=300)  # as it was then
    user_id: int | None = Field(default=None, foreign_key="user_account.id", ondelete="SET NULL")
    attendee_id: int | None = Field(default=None, foreign_key="attendee.id", ondelete="SET NULL")
    viewer_name: str = Field(default="", max_length=200)  # as it was then
    # The delegate's tablet (pickup's device session id; no foreign key: the record outlives
    # the device), when the viewing came from one.
    device_id: int | None = None
    via: str = Field(max_length=16)  # file, download, thumbnail
    first_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UtcDateTime, nullable=False)
    )
    last_at: datetime = Field(default_factory=utcnow, sa_column=Column(UtcDateTime, nullable=False))
    requests: int = 1  # responses this viewing covered (pdf.js reads in ranges)


class StampedCopy(SQLModel, table=True):
    """A delegate's own copy of a Mật / Tối mật PDF: every page stamped with their name, the
    copy's number and when it was issued (documents.watermark). Made once per revision and
    delegate, then served from its file; the original stays untouched (a digital signature
    on it stays valid)."""

    __tablename__ = "stamped_copy"
    __table_args__ = (
        UniqueConstraint("document_id", "revision", "attendee_id", name="uq_stamped_copy"),
        UniqueConstraint("document_id", "revision", "copy_number", name="uq_stamped_copy_number"),
        {"sqlite_autoincrement": True},
    )

    id: int | None = Field(default=None, primary_key=True)
    document_id: int = Field(foreign_key="document.id", ondelete="CASCADE", index=True)
    revision: int
    attendee_id: int = Field(foreign_key="attendee.id", ondelete="CASCADE", index=True)
    copy_number: int  # "Bản số N": 1, 2, ... per document revision, in order of issue
    holder: str = Field(max_length=200)  # the name stamped, as it was then
    sha256: str = Field(default="", max_length=64)  # of the stamped file, once written
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UtcDateTime, nullable=False)
    )


class DocumentOpened(SQLModel, table=True):
    """That a delegate opened a document (any level), for the secretary's pickup status: one
    row per document and delegate, written on the first request of a reading. Mật documents
    also have their full record per viewing in document_access."""

    __tablename__ = "document_opened"

    document_id: int = Field(foreign_key="document.id", ondelete="CASCADE", primary_key=True)
    attendee_id: int = Field(
        foreign_key="attendee.id", ondelete="CASCADE", primary_key=True, index=True
    )
    first_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UtcDateTime, nullable=False)
    )


class DocumentNote(SQLModel, table=True):
    """A delegate's own notes on a document: private to them (documents.notes serves them
    only to their author), kept on the server so they survive a lost or swapped tablet."""

    __tablename__ = "document_note"

    document_id: int = Field(foreign_key="document.id", ondelete="CASCADE", primary_key=True)
    attendee_id: int = Field(
        foreign_key="attendee.id", ondelete="CASCADE", primary_key=True, index=True
    )
    body: str = Field(default="", sa_column=Column(Text, nullable=False))
    updated_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UtcDateTime, nullable=False)
    )
