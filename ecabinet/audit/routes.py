"""The meeting's record: a page for its secretaries and /api/v1/meetings/<id>/log."""

from __future__ import annotations

from datetime import datetime

from flask import Blueprint, render_template, request
from pydantic import BaseModel, ConfigDict, Field
from werkzeug.wrappers import Response

from ecabinet.audit import service
from ecabinet.meetings.service import get_meeting
from ecabinet.permissions import Perm
from ecabinet.web import actor_or_401, api_doc, database, requires, to_json, validate

bp = Blueprint("audit", __name__)

ACTIONS = {
    "meeting.create": "Tạo cuộc họp",
    "meeting.update": "Sửa thông tin cuộc họp",
    "meeting.publish": "Công bố",
    "meeting.unpublish": "Về bản nháp",
    "meeting.archive": "Lưu trữ",
    "meeting.delete": "Xóa cuộc họp",
    "agenda.add": "Thêm nội dung chương trình",
    "agenda.update": "Sửa nội dung chương trình",
    "agenda.move": "Đổi thứ tự chương trình",
    "agenda.delete": "Xóa nội dung chương trình",
    "attendee.add": "Thêm đại biểu",
    "attendee.update": "Sửa đại biểu",
    "attendee.delete": "Xóa đại biểu",
    "attendees.import": "Nhập danh sách đại biểu",
    "document.add": "Tải lên tài liệu",
    "document.delete": "Xóa tài liệu",
    "document.revise": "Tải lên bản mới của tài liệu",
    "document.update": "Sửa thông tin tài liệu",
    "document.audience": "Đổi người được xem tài liệu",
    "links.issue": "Cấp liên kết máy tính bảng",
    "screen.pair": "Ghép nối màn hình phòng họp",
    "screen.revoke": "Thu hồi màn hình phòng họp",
}
FIELDS = {
    "title": "Tên",
    "kind": "Loại",
    "organiser": "Đơn vị tổ chức",
    "location": "Địa điểm",
    "starts_at": "Bắt đầu",
    "ends_at": "Kết thúc",
    "confidentiality": "Độ mật",
    "chair_id": "Chủ tọa",
    "secretary_ids": "Thư ký cùng chuẩn bị",
    "status": "Trạng thái",
    "presenter": "Người trình bày",
    "duration_minutes": "Thời lượng (phút)",
    "notes": "Mô tả",
    "position": "Vị trí",
    "full_name": "Họ và tên",
    "unit": "Đơn vị",
    "phone": "Số điện thoại",
    "role": "Vai trò",
    "audience": "Người được xem",
    "revision": "Bản",
    "added": "Thêm",
    "updated": "Cập nhật",
    "count": "Số lượng",
}


class LogPage(BaseModel):
    model_config = ConfigDict(extra="forbid")

    page: int = Field(default=1, ge=1, le=100_000, title="Trang")


class LogEntry(BaseModel):
    at: datetime
    actor_name: str
    action: str
    subject: str
    after_publishing: bool = Field(description="Made after the meeting was published")
    changes: list[tuple[str, str, str]] = Field(description="[field, before, after]")


PER_PAGE = 100


def _page(meeting_id: int) -> tuple[list[service.Entry], int, int]:
    paging = validate(LogPage, request.args.to_dict())
    with database().unit_of_work(write=False) as db_session:
        entries, total = service.meeting_log(
            db_session,
            actor=actor_or_401(),
            meeting_id=meeting_id,
            offset=(paging.page - 1) * PER_PAGE,
            limit=PER_PAGE,
        )
    return entries, total, paging.page


@bp.route("/api/v1/meetings/<int:meeting_id>/log", methods=["GET"])
@requires(Perm.EDIT_MEETING)
@api_doc(
    summary="The meeting's record: who changed what, newest first, 100 a page",
    query=LogPage,
    response=LogEntry,
    many=True,
)
def log_api(meeting_id: int) -> Response:
    entries, total, _page_number = _page(meeting_id)
    response = to_json([LogEntry.model_validate(e, from_attributes=True) for e in entries])
    response.headers["X-Total-Count"] = str(total)
    return response


@bp.route("/meetings/<int:meeting_id>/log")
@requires(Perm.EDIT_MEETING)
def log_page(meeting_id: int) -> str:
    entries, total, page = _page(meeting_id)
    with database().unit_of_work(write=False) as db_session:
        meeting = get_meeting(db_session, meeting_id)
    return render_template(
        "audit/log.html",
        meeting=meeting,
        entries=entries,
        total=total,
        page=page,
        pages=max(1, -(-total // PER_PAGE)),
        ACTIONS=ACTIONS,
        FIELDS=FIELDS,
    )
