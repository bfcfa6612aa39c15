"""Staff accounts, login and API tokens."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the package stays importable without Flask (services, CLI, tests)
    from flask import Flask


def init_app(app: Flask) -> None:
    from ecabinet.auth import api, routes, service, users

    app.register_blueprint(routes.bp)
    app.register_blueprint(api.bp)
    app.register_blueprint(users.bp)
    credentials = app.extensions["ecabinet.credentials"]
    credentials.register("staff", service.resolve_staff)
    credentials.register("api", service.resolve_api_tokens)
