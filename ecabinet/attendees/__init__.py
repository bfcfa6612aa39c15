"""Attendees of a meeting."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the package stays importable without Flask (services, CLI, tests)
    from flask import Flask


def init_app(app: Flask) -> None:
    from ecabinet.attendees import api, routes, transfer
    from ecabinet.attendees.scopes import register_scopes

    register_scopes(app.extensions["ecabinet.scopes"])
    app.register_blueprint(routes.bp)
    app.register_blueprint(api.bp)
    app.register_blueprint(transfer.bp)
    from ecabinet.attendees.export import national
    from ecabinet.attendees.models import ROLE_LABELS

    # Pages show roles and phones the same way everywhere (0912 345 001, not +84912345001).
    app.jinja_env.globals["ATTENDEE_ROLE_LABELS"] = ROLE_LABELS
    app.jinja_env.filters["phone"] = national
