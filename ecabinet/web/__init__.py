"""HTTP glue for every blueprint, by concern: access (who, may they), api (JSON and the
OpenAPI marks), errors, security (CSRF, headers), forms. Imports no feature."""

from __future__ import annotations

from flask import Flask

from ecabinet.validation import validate
from ecabinet.web.access import (
    GLOBAL,
    MEETING_SCOPED,
    actor_or_401,
    current_actor,
    database,
    request_credentials,
    request_session,
    requires,
)
from ecabinet.web.api import OPENAPI_ATTR, api_doc, parse_body, to_json, wants_json
from ecabinet.web.errors import error_response
from ecabinet.web.forms import (
    form_data,
    local_time,
    local_zone,
    submit_workspace_form,
    workspace_with_error,
)
from ecabinet.web.security import (
    NO_CSRF_ATTR,
    DechunkedInput,
    cached_by_url,
    csrf,
    no_csrf,
)

__all__ = [
    "GLOBAL",
    "MEETING_SCOPED",
    "NO_CSRF_ATTR",
    "OPENAPI_ATTR",
    "actor_or_401",
    "api_doc",
    "cached_by_url",
    "csrf",
    "current_actor",
    "database",
    "error_response",
    "form_data",
    "init_app",
    "local_time",
    "local_zone",
    "no_csrf",
    "parse_body",
    "request_credentials",
    "request_session",
    "requires",
    "submit_workspace_form",
    "to_json",
    "validate",
    "wants_json",
    "workspace_with_error",
]


def init_app(app: Flask) -> None:
    from flask_wtf.csrf import CSRFError
    from werkzeug.exceptions import HTTPException

    from ecabinet.errors import AppError
    from ecabinet.web import errors, security

    app.wsgi_app = DechunkedInput(app.wsgi_app)  # type: ignore[method-assign]
    app.session_interface = security.UrlCachedSessions()
    csrf.init_app(app)
    app.before_request(security._csrf_unless_bearer)
    app.after_request(security._security_headers)
    app.register_error_handler(AppError, errors._handle_app_error)
    app.register_error_handler(CSRFError, errors._handle_csrf)
    app.register_error_handler(HTTPException, errors._handle_http)
    app.register_error_handler(Exception, errors._handle_unexpected)
    app.add_template_filter(local_time, "local_time")
