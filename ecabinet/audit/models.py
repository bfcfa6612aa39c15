"""One row per audited change."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Column, Field, SQLModel

from ecabinet.timeutil import UtcDateTime, utcnow


class AuditEntry(SQLModel, table=True):
    __tablename__ = "audit_entry"
    __table_args__ = {"sqlite_autoincrement": True}  # ids are never reused

    id: int | None = Field(default=None, primary_key=True)
    # Kept when the meeting goes (a deleted draft's history still says who deleted it).
    meeting_id: int | None = Field(
        default=None, foreign_key="meeting.id", ondelete="SET NULL", index=True
    )
    at: datetime = Field(default_factory=utcnow, sa_column=Column(UtcDateTime, nullable=False))
    actor_id: int | None = Field(default=None, foreign_key="user_account.id", ondelete="SET NULL")
    actor_name: str = Field(default="", max_length=200)  # as it was then
    action: str = Field(max_length=40)
    subject: str = Field(default="", max_length=300)
    # Was the meeting already published? Changes after publishing are what notices announce.
    after_publishing: bool = False
    changes: str = Field(default="[]")  # JSON: [[field, before, after], ...]
