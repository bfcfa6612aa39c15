"""The floor for bench/join_control.py: a bare Flask-SocketIO server doing ecabinet's visible work.

Same stack as `ecabinet serve` (eventlet monkey patching first, Flask + Flask-SocketIO,
`eventlet.wsgi.server` with a large pool), and nothing else: no database, no sessions of its
own, no rate limits, no logging. Everything it knows comes from a JSON file written by the
benchmark (`--config`):

    {"meeting_id": 1, "tablet_tokens": ["...", ...], "chair_tokens": ["..."],
     "state": {"meeting_id": 1, "version": 1, "title": ..., "items": [...], ...}}

- Socket.IO `connect`: refused with `unauthorized` unless `auth["token"]` is a tablet token;
  the sid is remembered until it disconnects.
- `meeting:join` `{"meeting_id": int}`: from a remembered sid, for that meeting only; joins
  room `meeting:<id>` and acks `{"ok": true, "state": <the state dict>}`.
- `POST /next` (and `/previous`, the same code): `Authorization: Bearer <chair token>` checked
  against an in-memory set; version + 1, current item moved, `meeting:state` emitted to the
  room, then `{"meeting_id", "status", "current_item_id", "version"}` (ecabinet's LiveResult).
- `GET /healthz`.

Run: .venv/bin/python bench/bare_server.py --config FILE [--host 127.0.0.1] [--port 5055]
"""

from __future__ import annotations

import warnings

warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")

import eventlet  # noqa: E402  (monkey patching comes before everything else, as in ecabinet)

eventlet.monkey_patch()

import argparse  # noqa: E402
import gc  # noqa: E402
import json  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from collections.abc import Sequence  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

import eventlet.wsgi  # noqa: E402
from flask import Flask, jsonify, request  # noqa: E402
from flask_socketio import ConnectionRefusedError, SocketIO, join_room  # noqa: E402
from werkzeug.wrappers import Response  # noqa: E402

# As ecabinet/serving.py: every websocket holds a green thread for life.
MAX_CONNECTIONS = 20_000
LISTEN_BACKLOG = 2048


def create_app(config: dict[str, Any]) -> tuple[Flask, SocketIO]:
    meeting_id = int(config["meeting_id"])
    tablets = frozenset(str(t) for t in config["tablet_tokens"])
    chairs = frozenset(str(t) for t in config["chair_tokens"])
    state: dict[str, Any] = dict(config["state"])
    item_ids = [int(item["id"]) for item in state["items"]]
    items_by_id = {int(item["id"]): item for item in state["items"]}
    room = f"meeting:{meeting_id}"
    connected: dict[str, str] = {}  # sid -> token

    app = Flask(__name__)
    app.json.ensure_ascii = False  # type: ignore[attr-defined]  # as ecabinet's app
    socketio = SocketIO(app, async_mode="eventlet", max_http_buffer_size=64 * 1024)

    def on_connect(auth: Any = None) -> None:
        token = auth.get("token") if isinstance(auth, dict) else None
        if not isinstance(token, str) or token not in tablets:
            raise ConnectionRefusedError("unauthorized")
        connected[request.sid] = token  # type: ignore[attr-defined]

    def on_disconnect(reason: Any = None) -> None:
        connected.pop(request.sid, None)  # type: ignore[attr-defined]

    def on_join(data: Any = None) -> dict[str, Any]:
        if request.sid not in connected:  # type: ignore[attr-defined]
            return {"ok": False, "error": {"code": "unauthorized"}}
        if not isinstance(data, dict) or data.get("meeting_id") != meeting_id:
            return {"ok": False, "error": {"code": "meeting_not_found"}}
        join_room(room)
        return {"ok": True, "state": {**state, "server_time": int(time.time() * 1000)}}

    # Registered without decorators: flask_socketio's are untyped.
    socketio.on_event("connect", on_connect)
    socketio.on_event("disconnect", on_disconnect)
    socketio.on_event("meeting:join", on_join)

    def step(forward: bool) -> Response:
        header = request.headers.get("Authorization", "")
        if not header.startswith("Bearer ") or header[7:] not in chairs:
            return Response('{"error":{"code":"unauthorized"}}', 401, mimetype="application/json")
        # The visible work of ecabinet's step: the item left keeps its time, the next item's
        # clock starts, every copy carries the server's time (issue 11's state).
        now_ms = int(time.time() * 1000)
        left = items_by_id[state["current_item_id"]]
        timer = state["timer"]
        left["spent_seconds"] += max(0, (now_ms - (timer["running_since"] or now_ms)) // 1000)
        position = item_ids.index(state["current_item_id"]) + (1 if forward else -1)
        state["current_item_id"] = item_ids[position % len(item_ids)]
        current = items_by_id[state["current_item_id"]]
        state["timer"] = {
            "item_id": current["id"],
            "spent_seconds": current["spent_seconds"],
            "running_since": now_ms,
            "planned_seconds": (current.get("duration_minutes") or 0) * 60 or None,
        }
        state["version"] += 1
        state["server_time"] = now_ms
        socketio.emit("meeting:state", state, to=room)
        return jsonify(
            meeting_id=meeting_id,
            status=state["status"],
            current_item_id=state["current_item_id"],
            version=state["version"],
        )

    @app.post("/next")
    def next_item() -> Response:
        return step(forward=True)

    @app.post("/previous")
    def previous_item() -> Response:
        return step(forward=False)

    @app.get("/healthz")
    def healthz() -> Response:
        return jsonify(status="ok")

    return app, socketio


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench/bare_server.py", description=__doc__)
    parser.add_argument("--config", type=Path, required=True, help="the benchmark's JSON file")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=5055)
    args = parser.parse_args(argv)
    config = json.loads(Path(args.config).read_text())
    app, _ = create_app(config)
    gc.collect()  # as `ecabinet serve` (serving.freeze_startup_heap)
    gc.freeze()
    sock = eventlet.listen((args.host, args.port), backlog=LISTEN_BACKLOG)
    eventlet.wsgi.server(sock, app, max_size=MAX_CONNECTIONS, log_output=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
