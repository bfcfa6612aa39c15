"""Payloads of live control: the same shapes over HTTP and over Socket.IO."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from ecabinet.text import Id


class MeetingRef(BaseModel):
    model_config = ConfigDict(extra="forbid")

    meeting_id: Id = Field(title="Cuộc họp")


class JumpRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    item_id: Id = Field(title="Nội dung chương trình")


class SocketJump(MeetingRef):
    item_id: Id = Field(title="Nội dung chương trình")


class LiveResult(BaseModel):
    meeting_id: int
    status: str
    current_item_id: int | None
    version: int
