"""Attendees of a meeting."""

from flask import Flask


def init_app(app: Flask) -> None:
    from ecabinet.attendees import api, routes

    app.register_blueprint(routes.bp)
    app.register_blueprint(api.bp)
