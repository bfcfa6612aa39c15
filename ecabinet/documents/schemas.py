"""Document payloads. Uploads are multipart; these describe their fields and the result."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from ecabinet.documents.models import Audience
from ecabinet.meetings.models import Confidentiality
from ecabinet.text import MAX_ID, Id, OptionalText, RequiredText


class DocumentUploadFields(BaseModel):
    """The non-file fields of a multipart upload (the file itself is the `file` part)."""

    model_config = ConfigDict(extra="forbid")

    title: OptionalText = Field(
        default="", max_length=300, description="Default: the file name", title="Tên tài liệu"
    )
    agenda_item_id: Id | None = Field(
        default=None, description="Attach to an agenda item", title="Nội dung chương trình"
    )
    audience: Audience = Field(
        default=Audience.ALL, description="all, or chosen attendees", title="Đối tượng xem"
    )
    confidentiality: Confidentiality = Field(
        default=Confidentiality.NORMAL,
        title="Độ mật",
        description="normal, mat or toi_mat; a document is handled at the higher of its own "
        "level and its meeting's",
    )
    attendee_ids: str = Field(
        title="Đại biểu được xem",
        default="",
        max_length=20000,
        pattern=r"^(\d{1,10}(,\d{1,10})*)?$",
        description="With audience 'chosen': attendee ids, comma-separated",
    )

    @model_validator(mode="after")
    def _chosen_needs_people(self) -> DocumentUploadFields:
        if self.audience == Audience.CHOSEN and not self.attendee_ids:
            raise ValueError("chọn ít nhất một đại biểu")
        if any(not 1 <= n <= MAX_ID for n in self.chosen()):
            raise ValueError("mã đại biểu không hợp lệ")
        return self

    def chosen(self) -> list[int]:
        return [int(n) for n in self.attendee_ids.split(",") if n]


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
    audience: str = Field(description="all: every attendee; chosen: see /audience")
    confidentiality: str
    revision: int = Field(description="The current revision's number (1 for a first upload)")
    created_at: datetime


class DocumentUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: RequiredText | None = Field(default=None, max_length=300, title="Tên tài liệu")
    agenda_item_id: Id | None = Field(
        default=None,
        title="Nội dung chương trình",
        description="An agenda item of the same meeting; null: attached to none",
    )
    confidentiality: Confidentiality | None = Field(default=None, title="Độ mật")


class AccessPublic(BaseModel):
    """One viewing of a Mật / Tối mật document."""

    model_config = ConfigDict(from_attributes=True)

    revision: int
    confidentiality: str
    viewer_name: str
    user_id: int | None
    attendee_id: int | None
    device_id: int | None = Field(
        description="The delegate's tablet (GET /api/v1/attendees/<id>/devices names it)"
    )
    via: str = Field(description="file, download, thumbnail or revision")
    first_at: datetime
    last_at: datetime
    requests: int = Field(description="Responses this viewing covered (pdf.js reads in ranges)")


class RevisionUploadFields(BaseModel):
    """A new revision is only its `file` part: its title, audience and level stay the
    document's."""

    model_config = ConfigDict(extra="forbid", title="RevisionUpload")


class RevisionPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    document_id: int
    number: int
    filename: str
    content_type: str
    size: int
    sha256: str
    page_count: int
    status: str = Field(
        description="processing, ready (current), superseded (replaced by a later one) or rejected"
    )
    rejection_code: str
    rejection_message: str
    created_at: datetime


class AudienceUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    audience: Audience = Field(title="Đối tượng xem")
    attendee_ids: list[Id] = Field(
        title="Đại biểu được xem",
        default_factory=list,
        max_length=5000,
        description="With audience 'chosen'",
    )

    @model_validator(mode="after")
    def _chosen_needs_people(self) -> AudienceUpdate:
        if self.audience == Audience.CHOSEN and not self.attendee_ids:
            raise ValueError("chọn ít nhất một đại biểu")
        return self


class AudiencePublic(BaseModel):
    audience: str
    attendee_ids: list[int]


class PagePublic(BaseModel):
    number: int = Field(description="1 for the first page")
    url: str = Field(description="The page image (WebP); what it shows never changes")
    width: int = Field(description="Pixels")
    height: int = Field(description="Pixels")


class PagesPublic(BaseModel):
    """A document's page images for one viewer (GET /api/v1/documents/{id}/pages)."""

    status: Literal["ready", "rendering"] = Field(
        description="ready: `pages` lists them; rendering (HTTP 202): ask again in a second"
    )
    page_count: int
    sha256: str | None = Field(
        default=None, description="With ready: the PDF the images show (this viewer's)"
    )
    pages: list[PagePublic] | None = Field(default=None, description="With ready")
