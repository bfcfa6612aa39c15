"""Document payloads. Uploads are multipart; these describe their fields and the result."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from ecabinet.text import Id, OptionalText


class DocumentUploadFields(BaseModel):
    """The non-file fields of a multipart upload (the file itself is the `file` part)."""

    model_config = ConfigDict(extra="forbid")

    title: OptionalText = Field(default="", max_length=300, description="Default: the file name")
    agenda_item_id: Id | None = Field(default=None, description="Attach to an agenda item")


class DocumentPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    meeting_id: int
    agenda_item_id: int | None
    title: str
    filename: str
    content_type: str
    size: int
    sha256: str
    page_count: int = Field(description="0 until the document is ready")
    status: str = Field(description="processing, ready or rejected")
    rejection_code: str = Field(description="why it was rejected (pdf_unreadable, ...), or empty")
    rejection_message: str = Field(description="the same, for people, in Vietnamese")
    has_thumbnail: bool
    confidentiality: str
    created_at: datetime
