"""Request hygiene: CSRF for cookie-authenticated writes, security headers, chunked bodies."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ParamSpec, TypeVar

from flask import Flask, Response, current_app, request, session
from flask.sessions import SecureCookieSessionInterface, SessionMixin
from flask_wtf.csrf import CSRFProtect

from ecabinet.credentials import is_delegate_session
from ecabinet.web.api import wants_json

P = ParamSpec("P")
R = TypeVar("R")

NO_CSRF_ATTR = "_ecabinet_no_csrf"
CACHED_BY_URL_ATTR = "_ecabinet_cached_by_url"

csrf = CSRFProtect()


def no_csrf(view: Callable[P, R]) -> Callable[P, R]:
    """For endpoints that use no cookie (token sign-in): nothing for a forged request to ride."""
    setattr(view, NO_CSRF_ATTR, True)
    return view


def cached_by_url(view: Callable[P, R]) -> Callable[P, R]:
    """For responses at an address that names their content (documents read ahead, page
    images): the browser may answer that address from its cache whoever's cookie it holds
    now, so the response must not say `Vary: Cookie` (see UrlCachedSessions)."""
    setattr(view, CACHED_BY_URL_ATTR, True)
    return view


class UrlCachedSessions(SecureCookieSessionInterface):
    """Flask adds `Vary: Cookie` to every response that read the session, and a permanent
    session's cookie is re-signed (a new value) on every response. A tablet's cached copy of
    a document would then stop matching its cookie a second later, and with the Wi-Fi down
    the browser could not read it. Responses of @cached_by_url views keep the cookie out of
    their cache key; their access was checked when they were fetched, and they are `private`
    (this browser only) and expire with the credential that fetched them."""

    def save_session(self, app: Flask, session: SessionMixin, response: Response) -> None:
        super().save_session(app, session, response)
        view = app.view_functions.get(request.endpoint or "")
        if view is not None and getattr(view, CACHED_BY_URL_ATTR, False):
            response.vary.discard("Cookie")


def _csrf_unless_bearer() -> None:
    if request.method not in ("POST", "PUT", "PATCH", "DELETE"):
        return
    if request.headers.get("Authorization", "").startswith("Bearer "):
        return
    view = current_app.view_functions.get(request.endpoint or "")
    if view is not None and getattr(view, NO_CSRF_ATTR, False):
        return
    if wants_json() and "uid" not in session and not is_delegate_session(session):
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
    # Never to another site (a card's link carries its token). Our own pages do get one:
    # over HTTPS Flask-WTF checks that a form was posted from this site by its Referer, and
    # with no-referrer every form failed (400) as soon as the LAN had HTTPS.
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault("X-Frame-Options", "DENY")
    if "uid" in session or is_delegate_session(session):
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
