"""Attendee payloads."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from ecabinet.attendees.models import AttendeeRole
from ecabinet.text import OptionalText, RequiredText


class AttendeeCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    full_name: RequiredText = Field(max_length=200, title="Họ và tên")
    position: OptionalText = Field(default="", max_length=200, title="Chức vụ")
    unit: OptionalText = Field(default="", max_length=200, title="Đơn vị")
    phone: OptionalText = Field(default="", max_length=30, title="Số điện thoại")
    role: AttendeeRole = Field(default=AttendeeRole.DELEGATE, title="Vai trò")


class AttendeeUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    full_name: RequiredText | None = Field(default=None, max_length=200, title="Họ và tên")
    position: OptionalText | None = Field(default=None, max_length=200, title="Chức vụ")
    unit: OptionalText | None = Field(default=None, max_length=200, title="Đơn vị")
    phone: OptionalText | None = Field(default=None, max_length=30, title="Số điện thoại")
    role: AttendeeRole | None = Field(default=None, title="Vai trò")


class AttendeePublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    meeting_id: int
    full_name: str
    position: str
    unit: str
    phone: str | None = Field(description="E.164; null for callers who may not see contacts")
    role: str
