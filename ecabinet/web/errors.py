"""Errors as users see them: JSON `{"error": {...}}` under /api, a Vietnamese page elsewhere."""

from __future__ import annotations

import logging
from typing import Any

from flask import Response, jsonify, redirect, render_template, request, session, url_for
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response as BaseResponse

from ecabinet.credentials import is_delegate_session
from ecabinet.errors import AppError
from ecabinet.web.api import wants_json

log = logging.getLogger(__name__)


_HTTP_MESSAGES = {
    400: ("bad_request", "Yêu cầu không hợp lệ."),
    401: ("unauthorized", "Vui lòng đăng nhập."),
    403: ("forbidden", "Bạn không có quyền thực hiện thao tác này."),
    404: ("not_found", "Không tìm thấy trang hoặc tài nguyên."),
    405: ("method_not_allowed", "Phương thức không được hỗ trợ."),
    413: ("upload_too_large", "Tệp tải lên quá lớn."),
    415: ("unsupported_media_type", "Định dạng dữ liệu không được hỗ trợ."),
    429: ("rate_limited", "Quá nhiều yêu cầu, vui lòng thử lại sau."),
}


def error_response(status: int, code: str, message: str, field: str | None = None) -> Response:
    if wants_json():
        body: dict[str, Any] = {"code": code, "message": message}
        if field:
            body["field"] = field
        response = jsonify({"error": body})
    else:
        response = Response(
            render_template("errors/error.html", status=status, code=code, message=message),
            mimetype="text/html",
        )
    response.status_code = status
    return response


def _handle_app_error(exc: AppError) -> BaseResponse:
    if exc.status == 401 and not wants_json() and request.method == "GET":
        return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
    if exc.status == 403 and not wants_json() and is_delegate_session(session):
        # A browser that opened a delegate's link, now on a staff page: say why, and how out.
        return error_response(
            403,
            "attendee_session",
            "Trình duyệt này đang mở phiên họp bằng liên kết của đại biểu, nên không vào được "
            "trang quản lý. Hãy đăng nhập bằng tài khoản cán bộ để tiếp tục.",
        )
    response = error_response(exc.status, exc.code, exc.message, exc.field)
    if exc.status == 429:
        response.headers["Retry-After"] = "60"
    return response


def _handle_http(exc: HTTPException) -> Response:
    status = exc.code or 500
    code, message = _HTTP_MESSAGES.get(status, ("http_error", exc.description or "Lỗi."))
    response = error_response(status, code, message)
    if status == 405 and exc.get_response().headers.get("Allow"):
        response.headers["Allow"] = exc.get_response().headers["Allow"]
    return response


def _handle_csrf(exc: CSRFError) -> Response:
    return error_response(
        400, "csrf_failed", "Phiên làm việc đã hết hạn, vui lòng tải lại trang và thử lại."
    )


def _handle_unexpected(exc: Exception) -> Response:
    log.exception("unhandled error on %s %s", request.method, request.path)
    return error_response(500, "internal_error", "Lỗi hệ thống. Vui lòng thử lại sau.")
