"""Attendees of a meeting."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the package stays importable without Flask (services, CLI, tests)
    from flask import Flask


def init_app(app: Flask) -> None:
    from ecabinet.attendees import api, routes
    from ecabinet.attendees.scopes import register_scopes

    register_scopes(app.extensions["ecabinet.scopes"])
    app.register_blueprint(routes.bp)
    app.register_blueprint(api.bp)
