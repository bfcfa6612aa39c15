"""Staff accounts, password checks and API tokens."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import ColumnElement, Select, bindparam
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from ecabinet.actor import Actor, Role
from ecabinet.auth.models import ApiToken, User
from ecabinet.credentials import Credentials
from ecabinet.db import run
from ecabinet.errors import Conflict, Invalid, Unauthorized
from ecabinet.events import AccessRevoked, record
from ecabinet.permissions import Perm, require_global
from ecabinet.text import nfc
from ecabinet.timeutil import utcnow

# argon2-cffi's default: RFC 9106's low-memory profile (Argon2id, 64 MiB, 3 passes).
DEFAULT_HASHER = PasswordHasher()
_hasher = DEFAULT_HASHER
# Verified against when the username is unknown, so both paths cost one Argon2 check.
_DUMMY_HASH = _hasher.hash(secrets.token_hex(16))


def use_password_hasher(hasher: PasswordHasher) -> None:
    """Hash with another Argon2id cost. Only the test suite does this, as Django's docs advise:
    at the default cost a hash takes 170 ms here and the suite makes thousands. Hashes keep
    their parameters, so a server verifies them and rehashes at its own cost on next login."""
    global _hasher, _DUMMY_HASH
    _hasher = hasher
    _DUMMY_HASH = hasher.hash(secrets.token_hex(16))


MIN_PASSWORD_LENGTH = 8


def hash_token(raw: str) -> str:
    """Tokens are stored as SHA-256: they are long random secrets, so no slow hash is needed."""
    return hashlib.sha256(raw.encode()).hexdigest()


def create_user(
    session: Session,
    *,
    actor: Actor,
    username: str,
    password: str,
    role: Role | str,
    full_name: str = "",
) -> User:
    """Create a staff account (admins only; the CLI acts as the system admin)."""
    require_global(actor, Perm.MANAGE_USERS)
    username = nfc(username).lower()
    if (
        not username
        or len(username) > 64
        or not username.replace(".", "").replace("_", "").isalnum()
    ):
        raise Invalid("Tên đăng nhập chỉ gồm chữ, số, dấu chấm, gạch dưới.", field="username")
    try:
        role = Role(role)
    except ValueError:
        raise Invalid("Vai trò phải là admin, secretary hoặc chair.", field="role") from None
    if len(password) < MIN_PASSWORD_LENGTH:
        raise Invalid(f"Mật khẩu cần ít nhất {MIN_PASSWORD_LENGTH} ký tự.", field="password")
    if session.exec(select(User).where(User.username == username)).first():
        raise Conflict("Tên đăng nhập đã tồn tại.", code="username_taken", field="username")
    user = User(
        username=username,
        role=role,
        full_name=nfc(full_name),
        password_hash=_hasher.hash(password),
    )
    session.add(user)
    session.flush()
    return user


def find_user_by_username(session: Session, username: str) -> User | None:
    return session.exec(select(User).where(User.username == nfc(username).lower())).first()


def authenticate(session: Session, *, username: str, password: str) -> User:
    """Return the user whose password matches; the same error and the same work otherwise."""
    user = find_user_by_username(session, username)
    try:
        _hasher.verify(user.password_hash if user else _DUMMY_HASH, password)
    except (VerificationError, InvalidHashError):
        user = None
    if user is None or not user.is_active:
        raise Unauthorized("Sai tên đăng nhập hoặc mật khẩu.", code="bad_credentials")
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = _hasher.hash(password)
        session.add(user)
    return user


def actor_for_user(user: User) -> Actor:
    assert user.id is not None
    return Actor.staff(user.id, Role(user.role), user.full_name or user.username)


def load_staff_actor(session: Session, *, user_id: int, session_version: int) -> Actor | None:
    """The actor behind a browser session, or None when the user is gone, off or logged out."""
    creds = Credentials("staff", user_id=user_id, session_version=session_version)
    return resolve_staff(session, [creds])[creds]


def set_password(session: Session, *, actor: Actor, user_id: int, password: str) -> User:
    """Change a password and end every session and API token of that user."""
    if actor.user_id != user_id:
        require_global(actor, Perm.MANAGE_USERS)
    if len(password) < MIN_PASSWORD_LENGTH:
        raise Invalid(f"Mật khẩu cần ít nhất {MIN_PASSWORD_LENGTH} ký tự.", field="password")
    user = session.get(User, user_id)
    if user is None:
        raise Invalid("Không có người dùng này.", field="user_id")
    user.password_hash = _hasher.hash(password)
    user.session_version += 1
    _revoke_user_tokens(session, user_id)
    session.add(user)
    session.flush()
    record(session, AccessRevoked(user_ids=(user_id,)))
    return user


def end_sessions(session: Session, *, user_id: int) -> None:
    """Log a user out everywhere: every browser session cookie of theirs stops working."""
    user = session.get(User, user_id)
    if user is not None:
        user.session_version += 1
        session.add(user)
        session.flush()
        record(session, AccessRevoked(user_ids=(user_id,)))


def set_active(session: Session, *, actor: Actor, user_id: int, active: bool) -> User:
    """Disable or re-enable a staff account; disabling cuts its sessions, tokens and sockets."""
    require_global(actor, Perm.MANAGE_USERS)
    user = session.get(User, user_id)
    if user is None:
        raise Invalid("Không có người dùng này.", field="user_id")
    user.is_active = active
    if not active:
        user.session_version += 1
        _revoke_user_tokens(session, user_id)
    session.add(user)
    session.flush()
    if not active:
        record(session, AccessRevoked(user_ids=(user_id,)))
    return user


def _revoke_user_tokens(session: Session, user_id: int) -> None:
    for token in session.exec(select(ApiToken).where(ApiToken.user_id == user_id)):
        if token.revoked_at is None:
            token.revoked_at = utcnow()
            session.add(token)


def issue_api_token(
    session: Session, *, user: User, ttl: timedelta, now: datetime | None = None
) -> tuple[str, ApiToken]:
    """Return (raw token, row). The raw value is shown once and never stored."""
    assert user.id is not None
    now = now or utcnow()
    raw = "ecb_" + secrets.token_urlsafe(32)
    token = ApiToken(
        user_id=user.id, token_hash=hash_token(raw), created_at=now, expires_at=now + ttl
    )
    session.add(token)
    session.flush()
    return raw, token


def load_token_actor(session: Session, *, raw: str, now: datetime | None = None) -> Actor | None:
    return load_token_actors(session, [raw], now=now).get(raw)


# Built once: this runs for every bearer-token request and socket event (ecabinet.db.run).
def _live_tokens(match: ColumnElement[bool]) -> Select[*tuple[Any, ...]]:
    return (
        sa_select(
            col(ApiToken.token_hash),
            col(ApiToken.expires_at),
            col(User.id),
            col(User.role),
            col(User.full_name),
            col(User.username),
        )
        .join(User, col(User.id) == col(ApiToken.user_id))
        .where(
            match,
            col(ApiToken.revoked_at).is_(None),
            col(ApiToken.expires_at) > bindparam("now"),
            col(User.is_active).is_(True),
        )
    )


_LIVE_TOKENS = _live_tokens(col(ApiToken.token_hash).in_(bindparam("hashes", expanding=True)))
_LIVE_TOKEN = _live_tokens(col(ApiToken.token_hash) == bindparam("hash"))


def load_token_actors(
    session: Session, raws: list[str], *, now: datetime | None = None
) -> dict[str, Actor | None]:
    """Many API tokens in one query; unknown, revoked, expired or disabled give None."""
    now = now or utcnow()
    by_hash = {hash_token(raw): raw for raw in raws}
    result: dict[str, Actor | None] = dict.fromkeys(raws)
    rows = (
        run(session, _LIVE_TOKEN, {"hash": next(iter(by_hash)), "now": now})
        if len(by_hash) == 1  # every request and event: no IN list to expand per call
        else run(session, _LIVE_TOKENS, {"hashes": list(by_hash), "now": now})
    )
    for token_hash, expires_at, user_id, role, full_name, username in rows:
        actor = Actor.staff(user_id, Role(role), full_name or username)
        result[by_hash[token_hash]] = actor.until(expires_at)
    return result


def revoke_api_token(session: Session, *, raw: str, now: datetime | None = None) -> None:
    token = session.exec(select(ApiToken).where(ApiToken.token_hash == hash_token(raw))).first()
    if token is not None and token.revoked_at is None:
        token.revoked_at = now or utcnow()
        session.add(token)
        session.flush()
        record(session, AccessRevoked(user_ids=(token.user_id,)))


def get_user_by_username(session: Session, username: str) -> User:
    user = find_user_by_username(session, username)
    if user is None:
        raise Invalid(f"Không có tài khoản '{username}'.", field="username")
    return user


def search_users(
    session: Session, *, actor: Actor, role: Role | None = None, include_disabled: bool = True
) -> list[User]:
    """Staff accounts for the administrator's page and /api/v1/users (admins only)."""
    require_global(actor, Perm.MANAGE_USERS)
    query = select(User)
    if role is not None:
        query = query.where(User.role == role)
    if not include_disabled:
        query = query.where(col(User.is_active).is_(True))
    return list(session.exec(query.order_by(col(User.is_active).desc(), col(User.username))))


def list_users(session: Session, *, role: Role | None = None) -> list[User]:
    query = select(User).where(User.is_active == True)  # noqa: E712  (SQL expression)
    if role is not None:
        query = query.where(User.role == role)
    return list(session.exec(query.order_by(User.full_name)))


_ACTIVE_USERS = sa_select(
    col(User.id),
    col(User.role),
    col(User.full_name),
    col(User.username),
    col(User.session_version),
).where(col(User.id).in_(bindparam("ids", expanding=True)), col(User.is_active).is_(True))


def resolve_staff(
    session: Session, many: list[Credentials], now: datetime | None = None
) -> dict[Credentials, Actor | None]:
    """Browser sessions of staff: the user must exist, be active and still on that version."""
    users = [c.user_id for c in many if c.user_id is not None]
    found = {row.id: row for row in run(session, _ACTIVE_USERS, {"ids": users})}
    result: dict[Credentials, Actor | None] = {}
    for creds in many:
        row = found.get(creds.user_id)
        if row is None or row.session_version != creds.session_version:
            result[creds] = None
        else:
            result[creds] = Actor.staff(row.id, Role(row.role), row.full_name or row.username)
    return result


def resolve_api_tokens(
    session: Session, many: list[Credentials], now: datetime | None = None
) -> dict[Credentials, Actor | None]:
    actors = load_token_actors(session, [c.token or "" for c in many], now=now)
    return {creds: actors.get(creds.token or "") for creds in many}
