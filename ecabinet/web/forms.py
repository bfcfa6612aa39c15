"""Server-rendered forms: request.form for a pydantic schema, local times, and the one
workflow of every workspace form (flash on success, errors beside the field otherwise)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask import current_app, flash, redirect, request, url_for
from werkzeug.wrappers import Response

from ecabinet.errors import AppError

# The page that shows a workspace form again with its errors: registered by the workspace
# feature (render(meeting_id, errors=, form=, status=) -> (html, status)), so the features
# whose forms live on that page need not import it.
WORKSPACE_RENDERER = "ecabinet.workspace.render"


def submit_workspace_form(
    meeting_id: int, *, form: str, action: Callable[[], str], anchor: str = ""
) -> Response | tuple[str, int]:
    """Run one workspace form. `action` returns the success message to flash; on a user error
    the workspace is shown again with the message next to the field and the input kept."""
    try:
        done = action()
    except AppError as exc:
        if exc.status == 404:
            raise
        errors = {exc.field or ("file" if form == "document" else "_form"): exc.message}
        render = current_app.extensions[WORKSPACE_RENDERER]
        result: tuple[str, int] = render(meeting_id, errors=errors, form=form, status=exc.status)
        return result
    flash(done, "success")
    return redirect(url_for("workspace.meeting", meeting_id=meeting_id, _anchor=anchor or None))


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
