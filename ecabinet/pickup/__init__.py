"""Attendee links and QR codes, and the tablet page they open."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the package stays importable without Flask (services, CLI, tests)
    from flask import Flask


def init_app(app: Flask) -> None:
    from ecabinet.pickup import api, devices, routes, service

    app.register_blueprint(routes.bp)
    app.register_blueprint(api.bp)
    app.extensions["ecabinet.credentials"].register(
        "attendee", service.resolve_attendee_credentials
    )
    app.extensions["ecabinet.credentials"].register("device", devices.resolve_device_credentials)
    window = service.AccessWindow(
        days_after_end=int(app.config["PICKUP_DAYS_AFTER_MEETING"]),
        undated_days=int(app.config["ATTENDEE_TOKEN_DAYS"]),
    )
    app.extensions["ecabinet.events"].in_transaction(service.cards_follow_meeting_times(window))
