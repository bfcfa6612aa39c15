"""Meeting documents: upload, list, serve, delete."""

from flask import Flask


def init_app(app: Flask) -> None:
    from ecabinet.documents import api, routes

    app.register_blueprint(routes.bp)
    app.register_blueprint(api.bp)
