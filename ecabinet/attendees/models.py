"""Attendees of a meeting: delegates and guests."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlmodel import Column, Field, SQLModel

from ecabinet.text import fold
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
    # Whether they said they will come: "yes", "no", or "" for no answer yet (an SMS reply
    # "C" / "K", notify.relay.take_reply).
    rsvp: str = Field(default="", max_length=8)
    rsvp_at: datetime | None = Field(default=None, sa_column=Column(UtcDateTime, nullable=True))
    # Name, position, unit and phone folded for search without diacritics (search_text()).
    search_text: str = Field(default="", max_length=800)
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UtcDateTime, nullable=False)
    )


def search_text(full_name: str, position: str, unit: str, phone: str) -> str:
    """What the attendee search matches: folded words (hop matches Họp), and the phone as
    people type it (0912345678) as well as stored (+84912345678)."""
    national = "0" + phone[3:] if phone.startswith("+84") else ""
    return fold(" ".join((full_name, position, unit, phone.lstrip("+"), national)))[:800]
