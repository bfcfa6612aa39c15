"""Server-rendered forms: request.form for a pydantic schema, local times, and the one
workflow of every workspace form (flash on success, errors beside the field otherwise)."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, datetime
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
        return workspace_with_error(meeting_id, exc, form=form)
    flash(done, "success")
    return redirect(url_for("workspace.meeting", meeting_id=meeting_id, _anchor=anchor or None))


def workspace_with_error(meeting_id: int, exc: AppError, *, form: str) -> tuple[str, int]:
    """The workspace again, with `exc`'s message next to the field of `form` and the input
    kept; a 404 goes on as a 404."""
    if exc.status == 404:
        raise exc
    errors = {exc.field or ("file" if form in ("document", "import") else "_form"): exc.message}
    render = current_app.extensions[WORKSPACE_RENDERER]
    result: tuple[str, int] = render(meeting_id, errors=errors, form=form, status=exc.status)
    return result


def local_zone() -> ZoneInfo:
    return ZoneInfo(current_app.config["TIMEZONE"])


def form_data(
    *,
    ints: tuple[str, ...] = (),
    datetimes: tuple[str, ...] = (),
    dates: tuple[str, ...] = (),
    lists: tuple[str, ...] = (),
    skip: tuple[str, ...] = (),
    source: Any = None,
) -> dict[str, Any]:
    """request.form (or `source`, e.g. request.args) as a dict for a pydantic schema: blank
    optional numbers become None, dates and times are read as people here write them
    (dd/mm/yyyy, 24-hour hh:mm, in the configured time zone), `lists` keep every value."""
    form = request.form if source is None else source
    data: dict[str, Any] = {}
    for key in lists:
        data[key] = [v for v in form.getlist(key) if v.strip()]
    for key, value in form.items():
        if key == "csrf_token" or key in skip or key in lists:
            continue
        if key in ints:
            value = value.strip()
            data[key] = int(value) if value.lstrip("-").isdigit() else (value or None)
        elif key in datetimes:
            data[key] = parse_local_datetime(value)
        elif key in dates:
            data[key] = parse_local_date(value)
        else:
            data[key] = value
    return data


_DATE = re.compile(r"^\s*(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})\s*$")
_DATETIME = re.compile(
    r"^\s*(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})(?:[ ,T]+(\d{1,2})[:hg](\d{2})?)?\s*$"
)


def parse_local_date(value: str) -> date | str | None:
    """ "05/12/2026" (or the ISO "2026-12-05") as a date; anything else is left for the schema
    to reject with a field error."""
    value = value.strip()
    if not value:
        return None
    match = _DATE.match(value)
    try:
        if match:
            day, month, year = (int(g) for g in match.groups())
            return date(year, month, day)
        return date.fromisoformat(value)
    except ValueError:
        return value


def parse_local_datetime(value: str) -> datetime | str | None:
    """ "05/12/2026 08:30" (also "8h30", "8g", or a date alone: midnight; or ISO) in the
    configured zone; anything else is left for the schema to reject with a field error."""
    value = value.strip()
    if not value:
        return None
    match = _DATETIME.match(value)
    try:
        if match:
            day, month, year, hour, minute = match.groups()
            numbers = (int(year), int(month), int(day), int(hour or 0), int(minute or 0))
            parsed = datetime(*numbers, tzinfo=local_zone())
        else:
            parsed = datetime.fromisoformat(value)
    except ValueError:
        return value
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=local_zone())


def local_time(value: datetime | None, fmt: str = "%H:%M %d/%m/%Y") -> str:
    """Jinja filter: an aware UTC datetime shown in the configured zone."""
    return value.astimezone(local_zone()).strftime(fmt) if value else ""
