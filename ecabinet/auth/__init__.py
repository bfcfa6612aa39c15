"""Staff accounts, login and API tokens."""

from flask import Flask


def init_app(app: Flask) -> None:
    from ecabinet.auth import api, routes

    app.register_blueprint(routes.bp)
    app.register_blueprint(api.bp)
