"""Agenda payloads."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from ecabinet.text import OptionalText, RequiredText


class AgendaItemCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: RequiredText = Field(max_length=300, title="Nội dung")
    presenter: OptionalText = Field(default="", max_length=200, title="Người trình bày")
    duration_minutes: int | None = Field(default=None, ge=1, le=24 * 60, title="Thời lượng (phút)")
    notes: OptionalText = Field(default="", max_length=4000, title="Mô tả")
    parent_id: int | None = Field(
        default=None,
        ge=1,
        title="Thuộc mục",
        description="A top-level item of the same meeting: the new item is its sub-item",
    )
    position: int | None = Field(
        title="Vị trí",
        default=None,
        ge=0,
        le=100_000,
        description="0-based among its siblings; default: at the end",
    )


class AgendaItemUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    revision: int | None = Field(
        default=None,
        ge=1,
        title="Phiên bản",
        description="The revision the edit started from; a newer one gives 409 edit_conflict",
    )
    title: RequiredText | None = Field(default=None, max_length=300, title="Nội dung")
    presenter: OptionalText | None = Field(default=None, max_length=200, title="Người trình bày")
    duration_minutes: int | None = Field(default=None, ge=1, le=24 * 60, title="Thời lượng (phút)")
    notes: OptionalText | None = Field(default=None, max_length=4000, title="Mô tả")


class AgendaItemMove(BaseModel):
    model_config = ConfigDict(extra="forbid")

    position: int = Field(
        ge=0,
        le=100_000,
        title="Vị trí",
        description="New 0-based position among its siblings; past the end is refused "
        "(422 position_out_of_range)",
    )
    parent_id: int | None = Field(
        default=None,
        ge=1,
        title="Thuộc mục",
        description="Move under this top-level item; null: to the top level; absent: keep",
    )


class AgendaItemPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    meeting_id: int
    parent_id: int | None
    position: int = Field(description="Place in the whole agenda read top to bottom")
    number: str = Field(description="As printed: I, II for items; 1, 2 for sub-items")
    label: str = Field(description="Unambiguous on its own: II, II.1")
    title: str
    presenter: str
    duration_minutes: int | None
    notes: str
    revision: int
