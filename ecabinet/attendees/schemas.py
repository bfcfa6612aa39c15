"""Attendee payloads."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from ecabinet.attendees.models import AttendeeRole
from ecabinet.text import OptionalText, RequiredText


class AttendeeCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    full_name: RequiredText = Field(max_length=200, description="Họ và tên")
    position: OptionalText = Field(default="", max_length=200, description="Chức vụ")
    unit: OptionalText = Field(default="", max_length=200, description="Đơn vị")
    phone: OptionalText = Field(default="", max_length=30, description="Số điện thoại")
    role: AttendeeRole = AttendeeRole.DELEGATE


class AttendeeUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    full_name: RequiredText | None = Field(default=None, max_length=200)
    position: OptionalText | None = Field(default=None, max_length=200)
    unit: OptionalText | None = Field(default=None, max_length=200)
    phone: OptionalText | None = Field(default=None, max_length=30)
    role: AttendeeRole | None = None


class AttendeePublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    meeting_id: int
    full_name: str
    position: str
    unit: str
    phone: str | None = Field(description="E.164; null for callers who may not see contacts")
    role: str
