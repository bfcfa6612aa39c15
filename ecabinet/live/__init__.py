"""The live meeting: chair console, tablet and room screen, the Socket.IO namespace, pushes."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the package stays importable without Flask (services, CLI, tests)
    from flask import Flask


def init_app(app: Flask) -> None:
    from flask_socketio import SocketIO

    from ecabinet.live import api, publish, routes
    from ecabinet.live.namespace import LiveNamespace
    from ecabinet.live.state import MeetingState

    socketio: SocketIO = app.extensions["socketio"]
    database = app.extensions["ecabinet.db"]

    def emit_state(state: MeetingState) -> None:
        socketio.emit("meeting:state", state, to=publish.room_for(state["meeting_id"]))

    namespace = LiveNamespace("/", database)

    def recheck_connections() -> None:
        # Off the request: the sweep queries once per connection.
        namespace.track_sweep(socketio.start_background_task(namespace.sweep))

    publish.install(database.sessions, emit_state, recheck_connections)
    app.extensions["ecabinet.live"] = namespace
    socketio.on_namespace(namespace)
    app.register_blueprint(routes.bp)
    app.register_blueprint(api.bp)
