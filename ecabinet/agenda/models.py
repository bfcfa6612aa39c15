"""Agenda items, ordered within a meeting by `position` (0-based, contiguous)."""

from __future__ import annotations

from sqlmodel import Field, SQLModel


class AgendaItem(SQLModel, table=True):
    __tablename__ = "agenda_item"
    __table_args__ = {"sqlite_autoincrement": True}  # ids are never reused

    id: int | None = Field(default=None, primary_key=True)
    meeting_id: int = Field(foreign_key="meeting.id", ondelete="CASCADE", index=True)
    position: int
    title: str = Field(max_length=300)
    presenter: str = Field(default="", max_length=200)
    duration_minutes: int | None = None
    notes: str = Field(default="", max_length=4000)
    # Bumped by every edit: a save made from an older revision is refused (two secretaries).
    revision: int = 1
