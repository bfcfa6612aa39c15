"""Attendees of a meeting: delegates and guests."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlmodel import Column, Field, SQLModel

from ecabinet.timeutil import UtcDateTime, utcnow


class AttendeeRole(StrEnum):
    """Who someone is at the meeting (not a staff account's role)."""

    DELEGATE = "delegate"
    GUEST = "guest"
    CHAIR = "chair"
    SECRETARY = "secretary"


ROLE_LABELS = {
    AttendeeRole.DELEGATE: "Đại biểu",
    AttendeeRole.GUEST: "Khách mời",
    AttendeeRole.CHAIR: "Chủ tọa",
    AttendeeRole.SECRETARY: "Thư ký",
}


class Attendee(SQLModel, table=True):
    __tablename__ = "attendee"
    __table_args__ = {"sqlite_autoincrement": True}  # ids are never reused

    id: int | None = Field(default=None, primary_key=True)
    meeting_id: int = Field(foreign_key="meeting.id", ondelete="CASCADE", index=True)
    full_name: str = Field(max_length=200)
    position: str = Field(default="", max_length=200)  # chức vụ
    unit: str = Field(default="", max_length=200)  # đơn vị
    phone: str = Field(default="", max_length=20)  # E.164, or empty
    role: str = Field(default=AttendeeRole.DELEGATE, max_length=16)
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UtcDateTime, nullable=False)
    )
