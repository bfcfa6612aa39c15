"""Printables: pickup cards, the official agenda, cover sheets and the room poster, built as
durable jobs with a progress bar, from the configured public address."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the package stays importable without Flask (services, CLI, tests)
    from flask import Flask


def init_app(app: Flask) -> None:
    from ecabinet.printing import api, routes, service

    app.register_blueprint(routes.bp)
    app.register_blueprint(api.bp)
    settings = service.PrintSettings.from_config(app.config)
    service.register(
        app.extensions["ecabinet.jobs"],
        app.extensions["ecabinet.db"],
        app.extensions["ecabinet.storage"],
        settings,
    )
    app.extensions["ecabinet.events"].on_record(
        service.remove_files_of_deleted_meetings(app.extensions["ecabinet.storage"])
    )
