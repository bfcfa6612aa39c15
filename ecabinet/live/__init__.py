"""The live meeting: chair console, tablet and room screen, the Socket.IO namespace, pushes."""

from flask import Flask
from flask_socketio import SocketIO

from ecabinet.live.state import MeetingState


def init_app(app: Flask) -> None:
    from ecabinet.live import api, publish, routes
    from ecabinet.live.namespace import LiveNamespace

    socketio: SocketIO = app.extensions["socketio"]
    database = app.extensions["ecabinet.db"]

    def emit_state(state: MeetingState) -> None:
        socketio.emit("meeting:state", state, to=publish.room_for(state["meeting_id"]))

    publish.install(database.sessions, emit_state)
    socketio.on_namespace(LiveNamespace("/", database, app.config))
    app.register_blueprint(routes.bp)
    app.register_blueprint(api.bp)
