"""The SMS outbox: one row per message to one person, written in the transaction of the
change that causes it, moved through its states by the relay (a durable job per message)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import UniqueConstraint
from sqlmodel import Column, Field, SQLModel, Text

from ecabinet.timeutil import UtcDateTime, utcnow


class SmsState(StrEnum):
    QUEUED = "queued"  # waiting for the relay (or for a retry after a failed attempt)
    SENDING = "sending"  # handed to the gateway; the outcome is not recorded yet
    SENT = "sent"  # the gateway took it
    DELIVERED = "delivered"  # the phone got it (the gateway reported so)
    FAILED = "failed"  # it will not be sent (refused, bad number, gave up)
    UNKNOWN = "unknown"  # it may or may not have been sent: a person decides
    CANCELLED = "cancelled"  # withdrawn before it was sent


STATE_LABELS = {
    SmsState.QUEUED: "Đang chờ gửi",
    SmsState.SENDING: "Đang gửi",
    SmsState.SENT: "Đã gửi",
    SmsState.DELIVERED: "Đã nhận",
    SmsState.FAILED: "Lỗi",
    SmsState.UNKNOWN: "Chưa rõ",
    SmsState.CANCELLED: "Đã hủy",
}
# States a message never leaves (a late delivery report may still turn sent into delivered).
SETTLED = (SmsState.DELIVERED, SmsState.FAILED, SmsState.CANCELLED)


class SmsKind(StrEnum):
    INVITATION = "invitation"  # giấy mời
    REMINDER = "reminder"  # nhắc lịch
    CHANGE = "change"  # thông báo thay đổi
    CANCELLATION = "cancellation"  # hoãn / hủy họp
    FREE = "free"  # a message the secretary writes


KIND_LABELS = {
    SmsKind.INVITATION: "Giấy mời",
    SmsKind.REMINDER: "Nhắc lịch họp",
    SmsKind.CHANGE: "Thông báo thay đổi",
    SmsKind.CANCELLATION: "Thông báo hủy họp",
    SmsKind.FREE: "Tin nhắn tự soạn",
}


class SmsMessage(SQLModel, table=True):
    __tablename__ = "sms_message"
    __table_args__ = {"sqlite_autoincrement": True}  # ids are never reused

    id: int | None = Field(default=None, primary_key=True)
    # Kept when the meeting or attendee goes: the history of what was sent stays.
    meeting_id: int | None = Field(
        default=None, foreign_key="meeting.id", ondelete="SET NULL", index=True
    )
    attendee_id: int | None = Field(
        default=None, foreign_key="attendee.id", ondelete="SET NULL", index=True
    )
    kind: str = Field(max_length=16)
    # (kind, meeting, attendee, revision): the same cause queued twice is one message.
    key: str = Field(max_length=200, unique=True)
    # Our id for the message at the gateway (eSMS RequestId, a smstools file name): random,
    # fixed before the first attempt, so a repeat is recognised as one.
    client_id: str = Field(max_length=40, unique=True)
    phone: str = Field(max_length=20)  # E.164
    recipient: str = Field(default="", max_length=200)  # the name, for the history
    # The text as sent, except a personal pickup link, kept as LINK_MARK and made again at
    # sending time from a secret the database does not hold (notify.links).
    body: str = Field(sa_column=Column(Text, nullable=False))
    link_token: bool = False  # whether the body carries the personal link
    encoding: str = Field(max_length=8)
    segments: int
    state: str = Field(default=SmsState.QUEUED, max_length=16, index=True)
    gateway: str = Field(default="", max_length=40)
    provider_id: str | None = Field(default=None, max_length=100, index=True)
    provider_code: str = Field(default="", max_length=40)
    detail: str = Field(default="", max_length=500)  # the last outcome, for the secretary
    attempts: int = 0
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UtcDateTime, nullable=False)
    )
    updated_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UtcDateTime, nullable=False)
    )
    give_up_at: datetime = Field(sa_column=Column(UtcDateTime, nullable=False))
    sent_at: datetime | None = Field(default=None, sa_column=Column(UtcDateTime, nullable=True))
    delivered_at: datetime | None = Field(
        default=None, sa_column=Column(UtcDateTime, nullable=True)
    )
    created_by: int | None = Field(default=None, foreign_key="user_account.id", ondelete="SET NULL")


class SmsTemplate(SQLModel, table=True):
    """A secretary's wording of one kind of message (defaults in notify.templates)."""

    __tablename__ = "sms_template"

    kind: str = Field(max_length=16, primary_key=True)
    body: str = Field(sa_column=Column(Text, nullable=False))
    strip_diacritics: bool = True  # không dấu: GSM-7, half the segments, the safe default
    updated_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UtcDateTime, nullable=False)
    )
    updated_by: int | None = Field(default=None, foreign_key="user_account.id", ondelete="SET NULL")


class SmsReply(SQLModel, table=True):
    """A message a delegate sent back ("C" có / "K" không), and what it was taken to mean."""

    __tablename__ = "sms_reply"
    __table_args__ = (
        UniqueConstraint("gateway", "ref"),
        {"sqlite_autoincrement": True},
    )

    id: int | None = Field(default=None, primary_key=True)
    gateway: str = Field(max_length=40)
    ref: str = Field(max_length=120)  # the gateway's id for it: a repeat is one reply
    phone: str = Field(max_length=20)
    text: str = Field(sa_column=Column(Text, nullable=False))
    meeting_id: int | None = Field(
        default=None, foreign_key="meeting.id", ondelete="SET NULL", index=True
    )
    attendee_id: int | None = Field(
        default=None, foreign_key="attendee.id", ondelete="SET NULL", index=True
    )
    answer: str = Field(default="", max_length=16)  # "yes", "no" or "" (not understood)
    received_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UtcDateTime, nullable=False)
    )
