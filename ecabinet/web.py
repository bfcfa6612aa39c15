"""HTTP glue for every blueprint: who is asking, permission gates, JSON and error pages."""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any, ParamSpec, TypeVar
from zoneinfo import ZoneInfo

from flask import (
    Flask,
    Response,
    current_app,
    g,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_wtf.csrf import CSRFError, CSRFProtect
from pydantic import BaseModel, ValidationError
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response as BaseResponse

from ecabinet.actor import Actor
from ecabinet.auth.permissions import (
    PERM_ATTR,
    Perm,
    check_route,
    require_global,
    require_meeting,
)
from ecabinet.credentials import Credentials, resolve
from ecabinet.db import Database
from ecabinet.documents.storage import Storage
from ecabinet.errors import AppError, Invalid, NotFound
from ecabinet.scopes import OWNERS

log = logging.getLogger(__name__)
P = ParamSpec("P")
R = TypeVar("R")
OPENAPI_ATTR = "_ecabinet_openapi"
NO_CSRF_ATTR = "_ecabinet_no_csrf"

csrf = CSRFProtect()

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


def database() -> Database:
    db: Database = current_app.extensions["ecabinet.db"]
    return db


def storage() -> Storage:
    store: Storage = current_app.extensions["ecabinet.storage"]
    return store


def request_credentials() -> Credentials | None:
    header = request.headers.get("Authorization", "")
    if header.startswith("Bearer "):
        return Credentials("api", token=header.removeprefix("Bearer ").strip())
    if "uid" in session and "sv" in session:
        return Credentials("staff", user_id=int(session["uid"]), session_version=int(session["sv"]))
    if "attendee_token" in session:
        return Credentials("attendee", token=str(session["attendee_token"]))
    return None


def current_actor() -> Actor | None:
    """The actor of this request, resolved once and re-checked against the database."""
    if "actor" not in g:
        creds = request_credentials()
        actor = None
        if creds is not None:
            with database().unit_of_work(write=False) as db_session:
                actor = resolve(db_session, creds)
        g.actor = actor
    result: Actor | None = g.actor
    return result


def requires(perm: Perm) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Declare and enforce who may reach a route; the security matrix test reads the mark."""

    def decorate(view: Callable[P, R]) -> Callable[P, R]:
        @functools.wraps(view)
        def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
            actor = current_actor()
            check_route(actor, perm)
            if actor is not None and perm in MEETING_SCOPED:
                _check_scope(actor, perm, kwargs)
            elif actor is not None and perm in GLOBAL:
                require_global(actor, perm)
            return view(*args, **kwargs)

        setattr(wrapper, PERM_ATTR, perm)
        return wrapper

    return decorate


GLOBAL = frozenset({Perm.CREATE_MEETING, Perm.MANAGE_USERS})  # by role, not by meeting
MEETING_SCOPED = frozenset(
    {Perm.VIEW_MEETING, Perm.EDIT_MEETING, Perm.CONTROL_LIVE, Perm.VIEW_ATTENDEES}
)


def _check_scope(actor: Actor, perm: Perm, kwargs: dict[str, Any]) -> None:
    """Outsiders get 404 before any body is parsed; services check again (defence in depth)."""
    for name, find_owner in OWNERS.items():
        if name in kwargs:
            with database().unit_of_work(write=False) as db_session:
                meeting = find_owner(db_session, int(kwargs[name]))
                if meeting is None:
                    raise NotFound()
                require_meeting(actor, meeting, perm)
            return


def actor_or_401() -> Actor:
    actor = current_actor()
    assert actor is not None, "@requires must guard this route"
    return actor


def wants_json() -> bool:
    return request.path.startswith("/api/") or request.path == "/healthz"


def api_doc(
    *,
    summary: str,
    body: type[BaseModel] | None = None,
    response: type[BaseModel] | None = None,
    many: bool = False,
    status: int = 200,
    multipart: dict[str, str] | None = None,
) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Attach the OpenAPI description; `parse_body` validates with the same schema."""

    def decorate(view: Callable[P, R]) -> Callable[P, R]:
        setattr(
            view,
            OPENAPI_ATTR,
            {
                "summary": summary,
                "body": body,
                "response": response,
                "many": many,
                "status": status,
                "multipart": multipart,
            },
        )
        return view

    return decorate


M = TypeVar("M", bound=BaseModel)


def parse_body(schema: type[M]) -> M:
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise Invalid("Nội dung yêu cầu phải là một đối tượng JSON.", code="invalid_json")
    return validate(schema, data)


def validate(schema: type[M], data: Any) -> M:
    try:
        return schema.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(p) for p in first["loc"]) or None
        message = f"Trường '{field}' không hợp lệ: {first['msg']}" if field else first["msg"]
        raise Invalid(message, field=field) from None


def to_json(value: BaseModel | list[BaseModel] | dict[str, Any], status: int = 200) -> Response:
    if isinstance(value, BaseModel):
        payload: Any = value.model_dump(mode="json")
    elif isinstance(value, list):
        payload = [item.model_dump(mode="json") for item in value]
    else:
        payload = value
    response = jsonify(payload)
    response.status_code = status
    return response


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
    if exc.status == 403 and not wants_json() and "attendee_token" in session:
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


def no_csrf(view: Callable[P, R]) -> Callable[P, R]:
    """For endpoints that use no cookie (token sign-in): nothing for a forged request to ride."""
    setattr(view, NO_CSRF_ATTR, True)
    return view


def _csrf_unless_bearer() -> None:
    if request.method not in ("POST", "PUT", "PATCH", "DELETE"):
        return
    if request.headers.get("Authorization", "").startswith("Bearer "):
        return
    view = current_app.view_functions.get(request.endpoint or "")
    if view is not None and getattr(view, NO_CSRF_ATTR, False):
        return
    if wants_json() and "uid" not in session and "attendee_token" not in session:
        return  # no cookie credentials to ride on: the route's own gate answers 401
    csrf.protect()


def _security_headers(response: Response) -> Response:
    host = request.host
    response.headers.setdefault(
        "Content-Security-Policy",
        "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; "
        "img-src 'self' data: blob:; font-src 'self'; "
        f"connect-src 'self' ws://{host} wss://{host}; "
        "worker-src 'self' blob:; object-src 'none'; base-uri 'self'; form-action 'self'; "
        "frame-ancestors 'none'",
    )
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "no-referrer")  # tablet links carry tokens
    response.headers.setdefault("X-Frame-Options", "DENY")
    if "uid" in session or "attendee_token" in session:
        response.headers.setdefault("Cache-Control", "private, no-store")
    return response


class DechunkedInput:
    """eventlet's WSGI server decodes a chunked request body but does not set
    `wsgi.input_terminated`, so Werkzeug read every chunked upload as empty ("no file").
    Say so, and Werkzeug reads it, bounded by MAX_CONTENT_LENGTH (413 past it)."""

    def __init__(self, wsgi_app: Any) -> None:
        self.wsgi_app = wsgi_app

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        if getattr(environ.get("eventlet.input"), "chunked_input", False):
            environ["wsgi.input_terminated"] = True
        return self.wsgi_app(environ, start_response)


def init_app(app: Flask) -> None:
    app.wsgi_app = DechunkedInput(app.wsgi_app)  # type: ignore[method-assign]
    csrf.init_app(app)
    app.before_request(_csrf_unless_bearer)
    app.after_request(_security_headers)
    app.register_error_handler(AppError, _handle_app_error)
    app.register_error_handler(CSRFError, _handle_csrf)
    app.register_error_handler(HTTPException, _handle_http)
    app.register_error_handler(Exception, _handle_unexpected)
    app.add_template_filter(local_time, "local_time")


def local_zone() -> ZoneInfo:
    return ZoneInfo(current_app.config["TIMEZONE"])


def form_data(
    *, ints: tuple[str, ...] = (), datetimes: tuple[str, ...] = (), skip: tuple[str, ...] = ()
) -> dict[str, Any]:
    """request.form as a dict for a pydantic schema: blank optional numbers become None and
    `datetime-local` values are read in the configured time zone."""
    data: dict[str, Any] = {}
    for key, value in request.form.items():
        if key == "csrf_token" or key in skip:
            continue
        if key in ints:
            value = value.strip()
            data[key] = int(value) if value.lstrip("-").isdigit() else (value or None)
        elif key in datetimes:
            data[key] = _parse_local(value)
        else:
            data[key] = value
    return data


def _parse_local(value: str) -> datetime | str | None:
    value = value.strip()
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return value  # left for the schema to reject with a field error
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=local_zone())


def local_time(value: datetime | None, fmt: str = "%H:%M %d/%m/%Y") -> str:
    """Jinja filter: an aware UTC datetime shown in the configured zone."""
    return value.astimezone(local_zone()).strftime(fmt) if value else ""
