"""Serving entry point helpers: the only place that knows eventlet and gevent.

Monkey patching must happen before anything else imports socket or threading, so callers
(`wsgi.py`, `ecabinet serve`) call `patch()` first and import the app afterwards.
"""

from __future__ import annotations

import gc
import logging
import os
import runpy
import warnings
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

# eventlet's default pool is 1,024 green threads and every websocket holds one for life:
# the 1,025th tablet would wait forever. The listen backlog must absorb a reconnect storm.
MAX_CONNECTIONS = 20_000
LISTEN_BACKLOG = 2048


def configured_async_mode(instance_path: str | None = None) -> str:
    """ASYNC_MODE from the environment, else instance/config.py, else eventlet.

    Read before the app exists, because monkey patching must precede every other import.
    """
    if "ECABINET_ASYNC_MODE" in os.environ:
        return os.environ["ECABINET_ASYNC_MODE"]
    folder = Path(instance_path or os.environ.get("ECABINET_INSTANCE_PATH") or _default_instance())
    config_file = folder / "config.py"
    if config_file.is_file():
        mode = runpy.run_path(str(config_file)).get("ASYNC_MODE")
        if isinstance(mode, str):
            return mode
    return "eventlet"


def _default_instance() -> Path:
    root = Path(__file__).resolve().parent.parent  # same rule as app.default_instance_path
    return root / "instance" if (root / "pyproject.toml").is_file() else Path.cwd() / "instance"


def patch(mode: str) -> None:
    if mode == "eventlet":
        # Requested stack; its bugfix-only status is documented in the README, not re-announced
        # on every start.
        warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")
        import eventlet

        eventlet.monkey_patch()
    elif mode == "gevent":
        from gevent import monkey

        monkey.patch_all()


def freeze_startup_heap() -> None:
    """Move start-up objects out of the collector's reach: full collections walk less."""
    if os.environ.get("ECABINET_GC_FREEZE", "1") != "0":
        gc.collect()
        gc.freeze()


def start_job_runner(app: Any) -> None:
    """Run durable jobs in this process (a green thread under eventlet or gevent), unless the
    operator runs `ecabinet worker` processes instead (JOBS_IN_PROCESS = false)."""
    if app.config["JOBS_IN_PROCESS"]:
        runner = app.extensions["ecabinet.jobs"]
        app.extensions["socketio"].start_background_task(runner.run_forever)


def serve(app: Any, host: str, port: int) -> None:
    """Serve the app (and its Socket.IO endpoint) until interrupted."""
    mode = app.config["ASYNC_MODE"]
    start_job_runner(app)
    freeze_startup_heap()
    log.info("ecabinet serving on http://%s:%d (async mode %s)", host, port, mode)
    if mode == "eventlet":
        import eventlet
        import eventlet.wsgi

        sock = eventlet.listen((host, port), backlog=LISTEN_BACKLOG)
        eventlet.wsgi.server(sock, app, max_size=MAX_CONNECTIONS, log_output=False)
    elif mode == "gevent":
        from gevent import pywsgi

        try:
            from geventwebsocket.handler import WebSocketHandler

            handler: dict[str, Any] = {"handler_class": WebSocketHandler}
        except ImportError:  # python-engineio falls back to simple-websocket
            handler = {}
        server = pywsgi.WSGIServer((host, port), app, backlog=LISTEN_BACKLOG, log=None, **handler)
        server.serve_forever()
    else:
        socketio = app.extensions["socketio"]
        socketio.run(app, host=host, port=port, allow_unsafe_werkzeug=True, log_output=False)
