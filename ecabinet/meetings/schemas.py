"""Meeting payloads: what the API and forms accept and what they return."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from ecabinet.meetings.models import Confidentiality, MeetingStatus
from ecabinet.text import Id, OptionalText, RequiredText
from ecabinet.timeutil import UtcInstant


class MeetingCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: RequiredText = Field(max_length=300, title="Tên cuộc họp")
    kind: OptionalText = Field(
        default="", max_length=100, title="Loại cuộc họp", description="Ban Thường vụ, hội nghị..."
    )
    organiser: OptionalText = Field(default="", max_length=200, title="Đơn vị tổ chức")
    location: OptionalText = Field(default="", max_length=200, title="Địa điểm")
    starts_at: UtcInstant | None = Field(default=None, title="Thời gian bắt đầu")
    ends_at: UtcInstant | None = Field(default=None, title="Thời gian kết thúc")
    confidentiality: Confidentiality = Field(default=Confidentiality.NORMAL, title="Độ mật")
    public_agenda: bool = Field(
        default=False,
        title="Công khai chương trình",
        description="The public page the meeting QR opens also lists the agenda (never for "
        "a Mật / Tối mật meeting)",
    )
    chair_id: Id | None = Field(
        default=None, description="Chủ tọa (một tài khoản vai trò chair)", title="Chủ tọa"
    )
    secretary_ids: list[Id] = Field(
        default_factory=list,
        max_length=20,
        title="Thư ký cùng chuẩn bị",
        description="Other secretaries who may prepare the meeting (the creator always may)",
    )


class MeetingUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: RequiredText | None = Field(default=None, max_length=300, title="Tên cuộc họp")
    kind: OptionalText | None = Field(default=None, max_length=100, title="Loại cuộc họp")
    organiser: OptionalText | None = Field(default=None, max_length=200, title="Đơn vị tổ chức")
    location: OptionalText | None = Field(default=None, max_length=200, title="Địa điểm")
    starts_at: UtcInstant | None = Field(default=None, title="Thời gian bắt đầu")
    ends_at: UtcInstant | None = Field(default=None, title="Thời gian kết thúc")
    confidentiality: Confidentiality | None = Field(default=None, title="Độ mật")
    public_agenda: bool | None = Field(default=None, title="Công khai chương trình")
    chair_id: Id | None = Field(default=None, title="Chủ tọa")
    secretary_ids: list[Id] | None = Field(
        default=None, max_length=20, title="Thư ký cùng chuẩn bị"
    )
    revision: int | None = Field(
        default=None,
        ge=1,
        title="Phiên bản",
        description="The revision the edit started from; a newer one gives 409 edit_conflict",
    )


class MeetingPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    title: str
    kind: str
    organiser: str
    location: str
    starts_at: datetime | None
    ends_at: datetime | None
    confidentiality: str
    public_code: str = Field(description="The meeting QR opens /m/<public_code>")
    public_agenda: bool
    status: str
    secretary_id: int | None
    secretary_ids: list[int] = Field(description="The creator and the co-secretaries")
    chair_id: int | None
    current_item_id: int | None
    version: int
    revision: int = Field(description="Send it back in PATCH to detect concurrent edits")

    @field_validator("secretary_ids", mode="before")
    @classmethod
    def _sorted(cls, value: Any) -> Any:
        return sorted(value) if isinstance(value, (set, frozenset)) else value


class MeetingFilters(BaseModel):
    """The meeting list's query string: text, state, dates (local), page."""

    model_config = ConfigDict(extra="forbid")

    q: OptionalText = Field(default="", max_length=200, title="Tìm kiếm")
    status: MeetingStatus | None = Field(
        default=None, title="Trạng thái", description="Default: every state but archived"
    )
    date_from: date | None = Field(default=None, title="Từ ngày")
    date_to: date | None = Field(default=None, title="Đến ngày")
    page: int = Field(default=1, ge=1, le=100_000, title="Trang")
    per_page: int = Field(default=50, ge=1, le=200, title="Số dòng mỗi trang")


class MeetingPage(BaseModel):
    items: list[MeetingPublic]
    total: int
    page: int
    per_page: int
