"""Meetings: the secretary's list and workspace, and the meetings API."""

from flask import Flask


def init_app(app: Flask) -> None:
    from ecabinet.meetings import api, routes

    app.register_blueprint(routes.bp)
    app.register_blueprint(api.bp)
