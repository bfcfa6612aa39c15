"""Meetings: the secretary's list and workspace, and the meetings API."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the package stays importable without Flask (services, CLI, tests)
    from flask import Flask


def init_app(app: Flask) -> None:
    from ecabinet.meetings import api
    from ecabinet.meetings.lifecycle import TRANSITIONS
    from ecabinet.meetings.models import CONFIDENTIALITY_LABELS, STATUS_LABELS
    from ecabinet.meetings.scopes import register_scopes

    register_scopes(app.extensions["ecabinet.scopes"])
    app.register_blueprint(api.bp)
    # Every page that shows a meeting names its state and confidentiality the same way.
    app.jinja_env.globals.update(
        MEETING_STATUS_LABELS=STATUS_LABELS,
        CONFIDENTIALITY_LABELS=CONFIDENTIALITY_LABELS,
        TRANSITIONS=TRANSITIONS,
    )
