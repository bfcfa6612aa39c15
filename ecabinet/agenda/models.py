"""Agenda items: one level of sub-items, ordered within a meeting by `position`.

`position` is the item's place in the whole agenda read top to bottom (0-based, contiguous),
each top-level item followed by its sub-items: the chair steps through items in that order,
and numbering (agenda.numbering) is computed from it, never stored.
"""

from __future__ import annotations

from sqlmodel import Field, SQLModel


class AgendaItem(SQLModel, table=True):
    __tablename__ = "agenda_item"
    __table_args__ = {"sqlite_autoincrement": True}  # ids are never reused

    id: int | None = Field(default=None, primary_key=True)
    meeting_id: int = Field(foreign_key="meeting.id", ondelete="CASCADE", index=True)
    # A sub-item's top-level item; None for a top-level item. Only one level deep.
    parent_id: int | None = Field(
        default=None, foreign_key="agenda_item.id", ondelete="CASCADE", index=True
    )
    position: int
    title: str = Field(max_length=300)
    presenter: str = Field(default="", max_length=200)
    duration_minutes: int | None = None
    notes: str = Field(default="", max_length=4000)
    # Bumped by every edit: a save made from an older revision is refused (two secretaries).
    revision: int = 1
    # Seconds the meeting has spent on this item, closed stretches only (live.service adds a
    # stretch when the chair leaves the item or pauses); the running one is in the meeting.
    spent_seconds: int = 0
