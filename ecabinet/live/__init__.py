"""The live meeting: chair console, tablet and room screen, the Socket.IO namespace, pushes."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the package stays importable without Flask (services, CLI, tests)
    from flask import Flask


def init_app(app: Flask) -> None:
    from flask_socketio import SocketIO

    from ecabinet.events import AccessRevoked
    from ecabinet.live import api, publish, routes, screens
    from ecabinet.live.connections import Budgets
    from ecabinet.live.guard import refuse_reserved_events
    from ecabinet.live.namespace import LiveNamespace
    from ecabinet.live.scopes import register_scopes

    register_scopes(app.extensions["ecabinet.scopes"])
    socketio: SocketIO = app.extensions["socketio"]
    database = app.extensions["ecabinet.db"]

    namespace = LiveNamespace(
        "/",
        database,
        budgets=Budgets(
            per_connection=str(app.config["SOCKET_EVENT_LIMIT"]),
            per_credential=str(app.config["SOCKET_CREDENTIAL_LIMIT"]),
            max_in_flight=int(app.config["SOCKET_MAX_IN_FLIGHT"]),
        ),
        session_lifetime=app.permanent_session_lifetime,
        credentials=app.extensions["ecabinet.credentials"],
    )

    def recheck_connections(revoked: list[AccessRevoked]) -> None:
        # Off the request: the committing request answers without waiting for the sweep.
        namespace.track_sweep(socketio.start_background_task(namespace.sweep, revoked))

    publish.install(
        app.extensions["ecabinet.events"],
        namespace.push_after_answer,
        recheck_connections,
        namespace.snapshots,
    )
    app.extensions["ecabinet.live"] = namespace
    socketio.on_namespace(namespace)
    refuse_reserved_events(socketio.server)
    app.register_blueprint(routes.bp)
    app.register_blueprint(api.bp)
    app.register_blueprint(api.screens_bp)
    app.extensions["ecabinet.credentials"].register("screen", screens.resolve_screen_credentials)
