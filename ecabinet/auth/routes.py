"""Login and logout pages."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, redirect, render_template, request, session, url_for
from werkzeug.wrappers import Response

from ecabinet import limits
from ecabinet.auth import service
from ecabinet.errors import AppError
from ecabinet.permissions import Perm
from ecabinet.web import database, requires

bp = Blueprint("auth", __name__)


def _safe_next(target: str | None) -> str:
    """Only same-site paths: an open redirect after login is a phishing aid."""
    if (
        target
        and target.startswith("/")
        and not target.startswith("//")
        and not urlsplit(target).netloc
    ):
        return target
    return url_for("workspace.list_page")


@bp.route("/login", methods=["GET", "POST"])
@requires(Perm.PUBLIC)
def login() -> str | Response:
    values = {"username": request.form.get("username", "")}
    error, status = None, 200
    if request.method == "POST":
        try:
            limits.hit("LOGIN_RATE_LIMIT", request.remote_addr or "?")
            with database().unit_of_work() as db_session:
                user = service.authenticate(
                    db_session,
                    username=request.form.get("username", ""),
                    password=request.form.get("password", ""),
                )
                uid, version = user.id, user.session_version
        except AppError as exc:
            error, status = exc.message, exc.status
        else:
            session.clear()  # a fresh session: no fixation of a pre-login cookie
            session.permanent = True
            session["uid"], session["sv"] = uid, version
            return redirect(_safe_next(request.args.get("next")))
    return render_template("auth/login.html", values=values, error=error), status  # type: ignore[return-value]


@bp.route("/logout", methods=["POST"])
@requires(Perm.PUBLIC)
def logout() -> Response:
    """Log out everywhere: a copied cookie must not outlive the click (sessions are cookies)."""
    if "uid" in session:
        with database().unit_of_work() as db_session:
            service.end_sessions(db_session, user_id=int(session["uid"]))
    session.clear()
    return redirect(url_for("auth.login"))
