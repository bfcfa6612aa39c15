"""Attendee access tokens: the secret behind a tablet link or QR code, stored only as a hash."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Column, Field, SQLModel

from ecabinet.timeutil import UtcDateTime, utcnow


class AttendeeToken(SQLModel, table=True):
    __tablename__ = "attendee_token"
    __table_args__ = {"sqlite_autoincrement": True}  # ids are never reused

    id: int | None = Field(default=None, primary_key=True)
    attendee_id: int = Field(foreign_key="attendee.id", ondelete="CASCADE", index=True)
    token_hash: str = Field(max_length=64, unique=True)
    # The typed fallback printed beside the QR, keyed-hashed (pickup.codes); NULL on rows from
    # before codes existed.
    code_hash: str | None = Field(default=None, max_length=64, unique=True)
    printed: bool = False  # issued by a card printout (else shown on screen or sent)
    # "card": the printed or on-screen card (a new card replaces the old); "sms": a link in an
    # SMS invitation (notify.links), which a new card leaves alone.
    channel: str = Field(default="card", max_length=8)
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UtcDateTime, nullable=False)
    )
    expires_at: datetime = Field(sa_column=Column(UtcDateTime, nullable=False))
    revoked_at: datetime | None = Field(default=None, sa_column=Column(UtcDateTime, nullable=True))


class DeviceSession(SQLModel, table=True):
    """A tablet let in by a card: the first scan exchanges the card's token for a device
    session of its own (a random secret in the browser's HttpOnly session cookie, stored
    here only as a hash). The card's token stays on paper, never on the device. Reprinting
    the card (a new token) leaves devices already in working; the secretary cuts off one
    device, or all of an attendee's."""

    __tablename__ = "device_session"
    __table_args__ = {"sqlite_autoincrement": True}  # ids are never reused

    id: int | None = Field(default=None, primary_key=True)
    attendee_id: int = Field(foreign_key="attendee.id", ondelete="CASCADE", index=True)
    secret_hash: str = Field(max_length=64, unique=True)
    # The card it came in with (kept for the record when that card is reprinted).
    token_id: int | None = Field(default=None, foreign_key="attendee_token.id", ondelete="SET NULL")
    name: str = Field(default="", max_length=100)  # the secretary's name for it
    user_agent: str = Field(default="", max_length=300)  # as the browser said, first time
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UtcDateTime, nullable=False)
    )
    expires_at: datetime = Field(sa_column=Column(UtcDateTime, nullable=False))
    revoked_at: datetime | None = Field(default=None, sa_column=Column(UtcDateTime, nullable=True))


class PickupAlert(SQLModel, table=True):
    """Something at the door the secretary must see: a card of a confidential meeting tried on
    a second device (pickup.devices). Open until a secretary resolves it."""

    __tablename__ = "pickup_alert"
    __table_args__ = {"sqlite_autoincrement": True}

    id: int | None = Field(default=None, primary_key=True)
    meeting_id: int = Field(foreign_key="meeting.id", ondelete="CASCADE", index=True)
    attendee_id: int = Field(foreign_key="attendee.id", ondelete="CASCADE", index=True)
    kind: str = Field(default="second_device", max_length=32)
    user_agent: str = Field(default="", max_length=300)  # of the refused device
    address: str = Field(default="", max_length=64)  # its IP address, as the server saw it
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UtcDateTime, nullable=False)
    )
    resolved_at: datetime | None = Field(default=None, sa_column=Column(UtcDateTime, nullable=True))
