"""Room screens: a display in the meeting room, paired once by a short code and then holding
its own revocable credential (a random secret in its session cookie, stored here as a hash).
It sees only what the room sees: the agenda, the current item, its timer, the announcement."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Column, Field, SQLModel

from ecabinet.timeutil import UtcDateTime, utcnow


class RoomScreen(SQLModel, table=True):
    __tablename__ = "room_screen"
    __table_args__ = {"sqlite_autoincrement": True}  # ids are never reused

    id: int | None = Field(default=None, primary_key=True)
    secret_hash: str = Field(max_length=64, unique=True)  # SHA-256 of the cookie's secret
    # Shown on the screen until a secretary or the chair enters it; None once paired.
    pair_code: str | None = Field(default=None, max_length=8, index=True)
    code_expires_at: datetime = Field(sa_column=Column(UtcDateTime, nullable=False))
    meeting_id: int | None = Field(
        default=None, foreign_key="meeting.id", ondelete="CASCADE", index=True
    )
    name: str = Field(default="", max_length=100)
    paired_by_id: int | None = Field(
        default=None, foreign_key="user_account.id", ondelete="SET NULL"
    )
    paired_at: datetime | None = Field(default=None, sa_column=Column(UtcDateTime, nullable=True))
    expires_at: datetime | None = Field(default=None, sa_column=Column(UtcDateTime, nullable=True))
    revoked_at: datetime | None = Field(default=None, sa_column=Column(UtcDateTime, nullable=True))
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UtcDateTime, nullable=False)
    )
