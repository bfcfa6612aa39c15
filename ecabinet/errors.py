"""Application errors: a stable code, an HTTP status and a Vietnamese message (no Flask)."""

from __future__ import annotations


class AppError(Exception):
    """Base of every error a user may see. `code` is stable and machine-readable."""

    status = 400
    code = "bad_request"
    message = "Yêu cầu không hợp lệ."

    def __init__(
        self, message: str | None = None, *, code: str | None = None, field: str | None = None
    ) -> None:
        self.message = message or type(self).message
        self.code = code or type(self).code
        self.field = field
        super().__init__(self.message)

    def to_dict(self) -> dict[str, str]:
        data = {"code": self.code, "message": self.message}
        if self.field:
            data["field"] = self.field
        return data


class Invalid(AppError):
    status = 422
    code = "invalid"
    message = "Dữ liệu không hợp lệ."


class Unauthorized(AppError):
    status = 401
    code = "unauthorized"
    message = "Vui lòng đăng nhập."


class Forbidden(AppError):
    status = 403
    code = "forbidden"
    message = "Bạn không có quyền thực hiện thao tác này."


class NotFound(AppError):
    status = 404
    code = "not_found"
    message = "Không tìm thấy."


class Conflict(AppError):
    status = 409
    code = "conflict"
    message = "Thao tác xung đột với trạng thái hiện tại."


class TooLarge(AppError):
    status = 413
    code = "too_large"
    message = "Tệp quá lớn."


class RateLimited(AppError):
    status = 429
    code = "rate_limited"
    message = "Quá nhiều yêu cầu, vui lòng thử lại sau."


class Unavailable(AppError):
    """Something the server needs is not in order (a stored file that fails its seal check):
    the request is refused rather than answered with what it could not verify."""

    status = 503
    code = "unavailable"
    message = "Máy chủ tạm thời không phục vụ được yêu cầu này. Vui lòng báo quản trị viên."
