"""Documents: metadata in the database, bytes in the storage folder under their sha256."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlmodel import Column, Field, SQLModel

from ecabinet.timeutil import UtcDateTime, utcnow


class DocumentStatus(StrEnum):
    PROCESSING = "processing"  # stored; the documents.inspect job has not finished
    READY = "ready"  # checked: tablets get it
    REJECTED = "rejected"  # the check refused it; rejection_* say why


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
    audience: str = Field(default=Audience.ALL, max_length=16)
    # "normal" only for now; secret tiers ("mat", "toi_mat") arrive with the confidentiality issue.
    confidentiality: str = Field(default="normal", max_length=16)
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
