"""Staff accounts for administrators: the page (/admin/users) and /api/v1/users. Creating,
disabling and enabling go through auth.service, like the CLI."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from pydantic import BaseModel, ConfigDict, Field
from werkzeug.wrappers import Response

from ecabinet.actor import Role
from ecabinet.auth import service
from ecabinet.errors import AppError
from ecabinet.permissions import Perm
from ecabinet.text import OptionalText
from ecabinet.web import actor_or_401, api_doc, database, parse_body, requires, to_json, validate

bp = Blueprint("users", __name__)

ROLE_LABELS = {Role.ADMIN: "Quản trị", Role.SECRETARY: "Thư ký", Role.CHAIR: "Chủ tọa"}


class UserCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    username: str = Field(min_length=1, max_length=64, title="Tên đăng nhập")
    full_name: OptionalText = Field(default="", max_length=200, title="Họ và tên")
    role: Role = Field(title="Vai trò")
    password: str = Field(min_length=1, max_length=1024, title="Mật khẩu")


class UserPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    username: str
    full_name: str
    role: str
    is_active: bool


class UserFilters(BaseModel):
    model_config = ConfigDict(extra="forbid")

    role: Role | None = Field(default=None, title="Vai trò")


@bp.route("/api/v1/users", methods=["GET"])
@requires(Perm.MANAGE_USERS)
@api_doc(
    summary="Staff accounts and their roles (admins)",
    query=UserFilters,
    response=UserPublic,
    many=True,
)
def list_api() -> Response:
    filters = validate(UserFilters, request.args.to_dict())
    with database().unit_of_work(write=False) as db_session:
        users = service.search_users(db_session, actor=actor_or_401(), role=filters.role)
        return to_json([UserPublic.model_validate(u) for u in users])


@bp.route("/api/v1/users", methods=["POST"])
@requires(Perm.MANAGE_USERS)
@api_doc(
    summary="Create a staff account (admins)", body=UserCreate, response=UserPublic, status=201
)
def create_api() -> Response:
    data = parse_body(UserCreate)
    with database().unit_of_work() as db_session:
        user = service.create_user(db_session, actor=actor_or_401(), **data.model_dump())
        return to_json(UserPublic.model_validate(user), 201)


def _set_active(user_id: int, active: bool) -> UserPublic:
    with database().unit_of_work() as db_session:
        user = service.set_active(db_session, actor=actor_or_401(), user_id=user_id, active=active)
        return UserPublic.model_validate(user)


@bp.route("/api/v1/users/<int:user_id>/disable", methods=["POST"])
@requires(Perm.MANAGE_USERS)
@api_doc(summary="Disable an account: its sessions, tokens and sockets end", response=UserPublic)
def disable_api(user_id: int) -> Response:
    return to_json(_set_active(user_id, False))


@bp.route("/api/v1/users/<int:user_id>/enable", methods=["POST"])
@requires(Perm.MANAGE_USERS)
@api_doc(summary="Enable an account again", response=UserPublic)
def enable_api(user_id: int) -> Response:
    return to_json(_set_active(user_id, True))


@bp.route("/admin/users", methods=["GET", "POST"])
@requires(Perm.MANAGE_USERS)
def users_page() -> Response | tuple[str, int]:
    actor = actor_or_401()
    errors: dict[str, str] = {}
    if request.method == "POST":
        try:
            data = validate(
                UserCreate, {k: v for k, v in request.form.items() if k != "csrf_token"}
            )
            with database().unit_of_work() as db_session:
                user = service.create_user(db_session, actor=actor, **data.model_dump())
            flash(f"Đã tạo tài khoản “{user.username}”.", "success")
            return redirect(url_for("users.users_page"))
        except AppError as exc:
            errors[exc.field or "_form"] = exc.message
    with database().unit_of_work(write=False) as db_session:
        users = service.search_users(db_session, actor=actor)
    html = render_template(
        "auth/users.html",
        users=users,
        errors=errors,
        values=request.form if errors else {},
        ROLE_LABELS=ROLE_LABELS,
        me=actor.user_id,
    )
    return html, 422 if errors else 200


@bp.route("/admin/users/<int:user_id>/<any(disable, enable):action>", methods=["POST"])
@requires(Perm.MANAGE_USERS)
def set_active_page(user_id: int, action: str) -> Response:
    try:
        user = _set_active(user_id, action == "enable")
        flash(
            f"Đã {'mở lại' if action == 'enable' else 'khóa'} tài khoản “{user.username}”.",
            "success",
        )
    except AppError as exc:
        flash(exc.message, "error")
    return redirect(url_for("users.users_page"))
