"""Operator endpoints: health check and the OpenAPI document."""

from __future__ import annotations

import logging
from typing import Any

from flask import Blueprint, Flask, current_app, jsonify
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.wrappers import Response

from ecabinet import __version__
from ecabinet.openapi import build_openapi
from ecabinet.permissions import Perm
from ecabinet.web import database, requires

log = logging.getLogger(__name__)
bp = Blueprint("ops", __name__)


@bp.route("/healthz")
@requires(Perm.PUBLIC)
def healthz() -> Response:
    try:
        with database().engine.connect() as conn:
            # Reads the schema's own table: an empty or replaced database is not healthy.
            conn.execute(text("SELECT version_num FROM alembic_version")).one()
    except (SQLAlchemyError, ValueError) as exc:
        log.warning("health check: database unavailable: %s", exc)
        response = jsonify({"status": "error", "database": "unavailable"})
        response.status_code = 503
        return response
    return jsonify({"status": "ok", "database": "ok", "version": __version__})


@bp.route("/api/v1/openapi.json")
@requires(Perm.PUBLIC)
def openapi() -> Response:
    spec: dict[str, Any] = build_openapi(current_app)
    return jsonify(spec)


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
