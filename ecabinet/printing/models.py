"""A printout: one PDF the secretary asked for, built by a job."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlmodel import Column, Field, SQLModel, Text

from ecabinet.timeutil import UtcDateTime, utcnow


class PrintKind(StrEnum):
    CARDS = "cards"  # personal pickup cards (new cards: their links are in this file only)
    AGENDA = "agenda"  # the official agenda
    COVERS = "covers"  # a cover sheet per ready document, with its verification QR
    POSTER = "poster"  # the room poster with the meeting QR


KIND_LABELS = {
    PrintKind.CARDS: "Thẻ đại biểu (mã QR cá nhân)",
    PrintKind.AGENDA: "Chương trình cuộc họp",
    PrintKind.COVERS: "Trang bìa tài liệu (mã xác minh)",
    PrintKind.POSTER: "Áp phích mã QR phòng họp",
}


class PrintStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    READY = "ready"
    FAILED = "failed"


class Printout(SQLModel, table=True):
    __tablename__ = "printout"
    __table_args__ = {"sqlite_autoincrement": True}  # ids name files: never reused

    id: int | None = Field(default=None, primary_key=True)
    meeting_id: int = Field(foreign_key="meeting.id", ondelete="CASCADE", index=True)
    kind: str = Field(max_length=16)
    status: str = Field(default=PrintStatus.QUEUED, max_length=16)
    attempt: int = 0  # bumped by each run of its job: only the newest may finish it
    done: int = 0  # items drawn so far (cards, documents), for the progress bar
    total: int = 0
    message: str = Field(default="", max_length=300)  # why it failed, for people
    size: int = 0
    # What to print, fixed when asked (a retried job prints the same attendees): JSON.
    options: str = Field(default="{}", sa_column=Column(Text, nullable=False))
    public_url: str = Field(default="", max_length=300)  # the base its QR links start with
    created_by_id: int | None = Field(
        default=None, foreign_key="user_account.id", ondelete="SET NULL"
    )
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UtcDateTime, nullable=False)
    )
    finished_at: datetime | None = Field(default=None, sa_column=Column(UtcDateTime, nullable=True))
