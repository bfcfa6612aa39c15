"""Payloads of live control: the same shapes over HTTP and over Socket.IO."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from ecabinet.text import Id


class MeetingRef(BaseModel):
    model_config = ConfigDict(extra="forbid")

    meeting_id: Id


class JumpRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    item_id: Id


class SocketJump(MeetingRef):
    item_id: Id


class LiveResult(BaseModel):
    meeting_id: int
    status: str
    current_item_id: int | None
    version: int
