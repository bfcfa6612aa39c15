"""The application factory: the only module that wires every feature together."""

from __future__ import annotations

import importlib
import logging
import mimetypes
import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from flask import Flask
from flask_socketio import SocketIO
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter

from ecabinet import limits, web
from ecabinet.config import ConfigError, load_config
from ecabinet.credentials import CredentialResolvers
from ecabinet.db import Database, require_migrated
from ecabinet.documents.storage import Storage
from ecabinet.documents.upload import recover_interrupted
from ecabinet.documents.watermark import sweep_orphan_copies
from ecabinet.events import EventBus
from ecabinet.features import FEATURES
from ecabinet.scopes import Scopes
from ecabinet.sealing import KeyFileError, KeyRing, ring_for
from ecabinet.text import MAX_ID

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def default_instance_path() -> Path:
    """instance/ of the checkout; for an installed package, instance/ in the working directory."""
    if (PROJECT_ROOT / "pyproject.toml").is_file():
        return PROJECT_ROOT / "instance"
    return Path.cwd() / "instance"


def _web_folder(name: str) -> str:
    """static/ and templates/ live at the top of a checkout, or inside an installed wheel."""
    checkout = PROJECT_ROOT / name
    return str(checkout if checkout.is_dir() else Path(__file__).parent / "_web" / name)


class BoundedInt(IntegerConverter):
    """Ids past MAX_ID (the id columns' range) match the route but name nothing (0), so they
    get the route's own 404. A converter that refused them made werkzeug try the path's other
    routes and answer 405 where another method shares the path."""

    def to_python(self, value: str) -> int:
        number = int(super().to_python(value))
        return number if number <= MAX_ID else 0


def same_origin_or(extra: list[str]) -> Callable[[str | None, dict[str, Any]], bool]:
    """Socket.IO origin check: the page's own origin, plus the configured linked sites."""
    allowed = {origin.rstrip("/") for origin in extra}

    def check(origin: str | None, environ: dict[str, Any]) -> bool:
        if origin is None:
            return True  # not a browser; the connect handler still demands credentials
        own = f"{environ.get('wsgi.url_scheme', 'http')}://{environ.get('HTTP_HOST', '')}"
        return origin == own or origin in allowed

    return check


def _key_ring(config: Mapping[str, Any]) -> KeyRing | None:
    try:
        return ring_for(
            Path(str(config["KEY_FILE"])),
            Path(str(config["STORAGE_DIR"])),
            enabled=bool(config["ENCRYPT_FILES"]),
        )
    except KeyFileError as exc:
        raise ConfigError(f"ECABINET_KEY_FILE: {exc}") from None


def create_app(config: Mapping[str, Any] | None = None, *, require_schema: bool = True) -> Flask:
    """Build a configured app. Tests pass `config`; production reads instance/ and the env."""
    instance_path = (
        (config or {}).get("INSTANCE_PATH")
        or os.environ.get("ECABINET_INSTANCE_PATH")
        or default_instance_path()
    )
    app = Flask(
        "ecabinet",
        instance_path=str(Path(instance_path).resolve()),
        instance_relative_config=True,
        static_folder=_web_folder("static"),
        template_folder=_web_folder("templates"),
    )
    # Ids in URLs beyond the id columns' range are a 404, not a database error.
    app.url_map.converters["int"] = BoundedInt
    load_config(app, overrides=config)
    logging.basicConfig(level=app.config["LOG_LEVEL"])
    if logging.getLogger().getEffectiveLevel() > logging.DEBUG:
        logging.getLogger("alembic").setLevel(logging.WARNING)  # its INFO lines repeat every start
    mimetypes.add_type("text/javascript", ".mjs")  # pdf.js modules on hosts with odd mime tables
    app.json.ensure_ascii = False  # type: ignore[attr-defined]  # Vietnamese stays readable

    ring = _key_ring(app.config)  # a wrong key file stops the start before anything opens
    database = Database.from_url(app.config["DATABASE_URL"])
    try:
        _assemble(app, database, ring, require_schema=require_schema)
    except BaseException:
        database.dispose()  # a refused start leaves no connection open behind it
        raise
    return app


def _assemble(
    app: Flask, database: Database, ring: KeyRing | None, *, require_schema: bool
) -> None:
    if require_schema:
        require_migrated(database.engine)
    app.extensions["ecabinet.db"] = database
    bus = EventBus()
    bus.install(database.sessions)
    app.extensions["ecabinet.events"] = bus
    app.extensions["ecabinet.credentials"] = CredentialResolvers()
    app.extensions["ecabinet.scopes"] = Scopes()
    store = Storage(app.config["STORAGE_DIR"], ring)
    store.clean_temp()
    if require_schema:
        recover_interrupted(database, store)
        sweep_orphan_copies(database, store)
    app.extensions["ecabinet.storage"] = store

    # One SocketIO per app: a module-level one would send emits to whichever app came last.
    socketio = SocketIO(
        async_mode=app.config["ASYNC_MODE"],
        cors_allowed_origins=same_origin_or(app.config["ALLOWED_ORIGINS"]),
        manage_session=True,
        max_http_buffer_size=64 * 1024,  # control events are tiny; refuse large packets
    )
    socketio.init_app(app)

    web.init_app(app)
    limits.init_app(app)
    for name in FEATURES:
        importlib.import_module(f"ecabinet.{name}").init_app(app)
    hops = int(app.config["PROXY_COUNT"])
    if hops:
        # Behind a TLS-terminating proxy on the LAN: trust its X-Forwarded-* (and only that
        # many hops), outermost, so Socket.IO's origin check, links and rate limits all see
        # https, the real host and the tablet's own address.
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops, x_port=hops
        )
