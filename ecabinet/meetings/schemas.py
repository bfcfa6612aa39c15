"""Meeting payloads: what the API and forms accept and what they return."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from ecabinet.text import Id, OptionalText, RequiredText
from ecabinet.timeutil import UtcInstant


class MeetingCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: RequiredText = Field(max_length=300, title="Tên cuộc họp")
    location: OptionalText = Field(default="", max_length=200, title="Địa điểm")
    starts_at: UtcInstant | None = Field(default=None, title="Thời gian bắt đầu")
    chair_id: Id | None = Field(
        default=None, description="Chủ tọa (một tài khoản vai trò chair)", title="Chủ tọa"
    )


class MeetingUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: RequiredText | None = Field(default=None, max_length=300, title="Tên cuộc họp")
    location: OptionalText | None = Field(default=None, max_length=200, title="Địa điểm")
    starts_at: UtcInstant | None = Field(default=None, title="Thời gian bắt đầu")
    chair_id: Id | None = Field(default=None, title="Chủ tọa")


class MeetingPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    title: str
    location: str
    starts_at: datetime | None
    status: str
    secretary_id: int | None
    chair_id: int | None
    current_item_id: int | None
    version: int
