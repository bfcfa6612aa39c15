"""Agenda payloads."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from ecabinet.text import OptionalText, RequiredText


class AgendaItemCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: RequiredText = Field(max_length=300, description="Nội dung")
    presenter: OptionalText = Field(default="", max_length=200, description="Người trình bày")
    duration_minutes: int | None = Field(default=None, ge=1, le=24 * 60)
    notes: OptionalText = Field(default="", max_length=4000)
    position: int | None = Field(
        default=None, ge=0, le=100_000, description="0-based; default: at the end"
    )


class AgendaItemUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: RequiredText | None = Field(default=None, max_length=300)
    presenter: OptionalText | None = Field(default=None, max_length=200)
    duration_minutes: int | None = Field(default=None, ge=1, le=24 * 60)
    notes: OptionalText | None = Field(default=None, max_length=4000)


class AgendaItemMove(BaseModel):
    model_config = ConfigDict(extra="forbid")

    position: int = Field(ge=0, le=100_000, description="New 0-based position; past the end = last")


class AgendaItemPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    meeting_id: int
    position: int
    title: str
    presenter: str
    duration_minutes: int | None
    notes: str
