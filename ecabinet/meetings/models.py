"""Meeting: the session being prepared and run."""

from __future__ import annotations

import secrets
from datetime import datetime
from enum import StrEnum

from sqlalchemy.orm import relationship
from sqlmodel import Column, Field, Relationship, SQLModel

from ecabinet.timeutil import UtcDateTime, utcnow


class MeetingStatus(StrEnum):
    """The lifecycle (docs/meetings.md says what each state allows; meetings.service enforces
    it): draft → published → live → ended → archived."""

    DRAFT = "draft"
    PUBLISHED = "published"
    LIVE = "live"
    ENDED = "ended"
    ARCHIVED = "archived"


STATUS_LABELS = {
    MeetingStatus.DRAFT: "Bản nháp",
    MeetingStatus.PUBLISHED: "Đã công bố",
    MeetingStatus.LIVE: "Đang họp",
    MeetingStatus.ENDED: "Đã kết thúc",
    MeetingStatus.ARCHIVED: "Đã lưu trữ",
}


class Confidentiality(StrEnum):
    """Độ mật: of a meeting, and later of each document."""

    NORMAL = "normal"
    SECRET = "mat"  # noqa: S105  (a level, not a password)
    TOP_SECRET = "toi_mat"  # noqa: S105


CONFIDENTIALITY_LABELS = {
    Confidentiality.NORMAL: "Thường",
    Confidentiality.SECRET: "Mật",
    Confidentiality.TOP_SECRET: "Tối mật",
}


class MeetingSecretary(SQLModel, table=True):
    """Secretaries who prepare a meeting besides the one who created it (secretary_id)."""

    __tablename__ = "meeting_secretary"

    meeting_id: int = Field(foreign_key="meeting.id", primary_key=True, ondelete="CASCADE")
    user_id: int = Field(
        foreign_key="user_account.id", primary_key=True, ondelete="CASCADE", index=True
    )


class Meeting(SQLModel, table=True):
    __tablename__ = "meeting"
    __table_args__ = {"sqlite_autoincrement": True}  # ids are never reused

    id: int | None = Field(default=None, primary_key=True)
    title: str = Field(max_length=300)
    kind: str = Field(default="", max_length=100)  # Ban Thường vụ, Ban Chấp hành, hội nghị...
    organiser: str = Field(default="", max_length=200)  # đơn vị tổ chức
    location: str = Field(default="", max_length=200)
    starts_at: datetime | None = Field(default=None, sa_column=Column(UtcDateTime, nullable=True))
    ends_at: datetime | None = Field(default=None, sa_column=Column(UtcDateTime, nullable=True))
    confidentiality: str = Field(default=Confidentiality.NORMAL, max_length=16)
    # The meeting QR on the door and the room screen opens /m/<public_code>: random, so the
    # public pages of meetings cannot be walked through by counting ids.
    public_code: str = Field(
        default_factory=lambda: secrets.token_urlsafe(9), max_length=24, unique=True
    )
    public_agenda: bool = False  # whether that page lists the agenda (never on Mật meetings)
    status: str = Field(default=MeetingStatus.DRAFT, max_length=16)
    secretary_id: int | None = Field(
        default=None, foreign_key="user_account.id", ondelete="SET NULL"
    )
    chair_id: int | None = Field(default=None, foreign_key="user_account.id", ondelete="SET NULL")
    # Owned by live.service; no foreign key so agenda rows and the meeting row don't cycle.
    current_item_id: int | None = None
    # The live room (owned by live.service): when the meeting was paused, when the current
    # item's clock last started running (None while paused or not live). Times, not counters,
    # so a timer survives a restart of the server.
    paused_at: datetime | None = Field(default=None, sa_column=Column(UtcDateTime, nullable=True))
    item_started_at: datetime | None = Field(
        default=None, sa_column=Column(UtcDateTime, nullable=True)
    )
    announcement: str = Field(default="", max_length=500)  # the banner on every tablet
    # Presenter mode: the document page shown to everyone (no foreign key: documents already
    # point at meetings; a deleted document simply stops being shown).
    presenting_document_id: int | None = None
    presenting_page: int | None = None
    # Owned by meetings.service.touch: bumped once per committed change clients must see.
    version: int = 1
    # Bumped by every edit of the meeting's own fields: an edit made from an older revision
    # gets a conflict instead of overwriting someone else's (meetings.service.update_meeting).
    revision: int = 1
    # Folded title, kind, organiser and place (text.fold), kept by meetings.service: search
    # without diacritics that works the same on SQLite and PostgreSQL.
    search_text: str = Field(default="", max_length=1000)
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UtcDateTime, nullable=False)
    )
    # Loaded with the meeting (selectin: one more query): access checks need them.
    co_secretaries: list[MeetingSecretary] = Relationship(
        sa_relationship=relationship(
            "MeetingSecretary", lazy="selectin", cascade="all, delete-orphan"
        )
    )

    @property
    def secretary_ids(self) -> frozenset[int]:
        """Everyone who prepares the meeting: its creator and the co-secretaries."""
        ids = {s.user_id for s in self.co_secretaries}
        if self.secretary_id is not None:
            ids.add(self.secretary_id)
        return frozenset(ids)
