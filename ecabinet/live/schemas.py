"""Payloads of live control: the same shapes over HTTP and over Socket.IO."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from ecabinet.text import Id


class MeetingRef(BaseModel):
    model_config = ConfigDict(extra="forbid")

    meeting_id: Id = Field(title="Cuộc họp")


class DocumentRef(BaseModel):
    model_config = ConfigDict(extra="forbid")

    document_id: Id = Field(title="Tài liệu")


class JumpRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    item_id: Id = Field(title="Nội dung chương trình")


class AnnounceRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    # The service folds whitespace and checks the length after folding (500).
    text: str = Field(default="", max_length=2000, title="Thông báo")


class PresentRequest(BaseModel):
    """`document_id` null stops presenter mode."""

    model_config = ConfigDict(extra="forbid")

    document_id: Id | None = Field(default=None, title="Tài liệu")
    page: int = Field(default=1, ge=1, le=100_000, title="Trang")


class ControlArgs(BaseModel):
    """What a control needs besides the meeting: one model for every action."""

    item_id: int | None = None
    text: str | None = None
    document_id: int | None = None
    page: int | None = None


class SocketJump(MeetingRef, JumpRequest):
    pass


class SocketAnnounce(MeetingRef, AnnounceRequest):
    pass


class SocketPresent(MeetingRef, PresentRequest):
    pass


class LiveResult(BaseModel):
    meeting_id: int
    status: str
    current_item_id: int | None
    version: int
    paused: bool = False


class PairScreenRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: str = Field(max_length=20, title="Mã trên màn hình", description="Six digits")
    name: str = Field(default="", max_length=100, title="Tên màn hình")


class ScreenPublic(BaseModel):
    id: int
    name: str
    paired_at: datetime | None
    expires_at: datetime | None
    revoked_at: datetime | None
    active: bool
