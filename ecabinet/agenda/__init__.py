"""Agenda items of a meeting and their order."""

from flask import Flask


def init_app(app: Flask) -> None:
    from ecabinet.agenda import api, routes

    app.register_blueprint(routes.bp)
    app.register_blueprint(api.bp)
