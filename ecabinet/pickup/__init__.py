"""Attendee links and QR codes, and the tablet page they open."""

from flask import Flask


def init_app(app: Flask) -> None:
    from ecabinet.pickup import api, routes

    app.register_blueprint(routes.bp)
    app.register_blueprint(api.bp)
