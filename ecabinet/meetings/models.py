"""Meeting: the session being prepared and run."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlmodel import Column, Field, SQLModel

from ecabinet.timeutil import UtcDateTime, utcnow


class MeetingStatus(StrEnum):
    DRAFT = "draft"
    LIVE = "live"
    ENDED = "ended"


class Meeting(SQLModel, table=True):
    __tablename__ = "meeting"
    __table_args__ = {"sqlite_autoincrement": True}  # ids are never reused

    id: int | None = Field(default=None, primary_key=True)
    title: str = Field(max_length=300)
    location: str = Field(default="", max_length=200)
    starts_at: datetime | None = Field(default=None, sa_column=Column(UtcDateTime, nullable=True))
    status: str = Field(default=MeetingStatus.DRAFT, max_length=16)
    secretary_id: int | None = Field(
        default=None, foreign_key="user_account.id", ondelete="SET NULL"
    )
    chair_id: int | None = Field(default=None, foreign_key="user_account.id", ondelete="SET NULL")
    # Owned by live.service; no foreign key so agenda rows and the meeting row don't cycle.
    current_item_id: int | None = None
    # Owned by meetings.service.touch: bumped once per committed change clients must see.
    version: int = 1
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UtcDateTime, nullable=False)
    )
