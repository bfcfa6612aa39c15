"""API tokens for scripts and integrations (bearer auth)."""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import Blueprint, current_app, request
from pydantic import BaseModel, ConfigDict, Field
from werkzeug.wrappers import Response

from ecabinet import limits
from ecabinet.auth import service
from ecabinet.permissions import Perm
from ecabinet.web import api_doc, database, no_csrf, parse_body, requires, to_json

bp = Blueprint("auth_api", __name__, url_prefix="/api/v1/auth")


class TokenRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    username: str = Field(min_length=1, max_length=64, title="Tên đăng nhập")
    password: str = Field(min_length=1, max_length=1024, title="Mật khẩu")


class TokenIssued(BaseModel):
    token: str
    expires_at: datetime
    user_id: int
    role: str


@bp.route("/tokens", methods=["POST"])
@requires(Perm.PUBLIC)
@no_csrf
@api_doc(
    summary="Sign in and get a bearer token", body=TokenRequest, response=TokenIssued, status=201
)
def create_token() -> Response:
    data = parse_body(TokenRequest)
    limits.hit("LOGIN_RATE_LIMIT", request.remote_addr or "?")
    ttl = timedelta(hours=current_app.config["API_TOKEN_HOURS"])
    with database().unit_of_work() as db_session:
        user = service.authenticate(db_session, username=data.username, password=data.password)
        raw, token = service.issue_api_token(db_session, user=user, ttl=ttl)
        assert user.id is not None
        result = TokenIssued(
            token=raw, expires_at=token.expires_at, user_id=user.id, role=user.role
        )
    return to_json(result, 201)


@bp.route("/tokens/current", methods=["DELETE"])
@requires(Perm.STAFF)
@api_doc(summary="Revoke the bearer token used for this request", status=204)
def revoke_token() -> Response:
    header = request.headers.get("Authorization", "")
    if header.startswith("Bearer "):
        with database().unit_of_work() as db_session:
            service.revoke_api_token(db_session, raw=header.removeprefix("Bearer ").strip())
    return Response(status=204)
