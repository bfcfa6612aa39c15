"""Click commands behind `ecabinet`. Each builds the app, then calls the same services."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from typing import Any

import click
from flask import Flask
from sqlmodel import Session

from ecabinet.actor import SYSTEM, Role
from ecabinet.config import ConfigError
from ecabinet.db import DatabaseNotMigrated, upgrade
from ecabinet.errors import AppError


def make_app(*, require_schema: bool = True, **overrides: object) -> Flask:
    """The app for a command; a bad setting or an old schema is a clear message, not a trace."""
    from ecabinet.app import create_app

    try:
        return create_app(overrides or None, require_schema=require_schema)
    except (ConfigError, DatabaseNotMigrated) as exc:
        raise click.ClickException(str(exc)) from None


_app = make_app


@click.group(help="ecabinet: paperless meeting room server.")
@click.version_option(package_name="ecabinet")
def cli() -> None:
    pass


@cli.command(help="Serve the web app and Socket.IO on HOST:PORT.")
@click.option(
    "--host", default=lambda: os.environ.get("HOST", "127.0.0.1"), show_default="127.0.0.1"
)
@click.option(
    "--port", type=int, default=lambda: int(os.environ.get("PORT", "5000")), show_default="5000"
)
@click.option(
    "--async-mode",
    type=click.Choice(["eventlet", "gevent", "threading"]),
    default=None,
    help="Overrides ECABINET_ASYNC_MODE and instance/config.py (default eventlet).",
)
def serve(host: str, port: int, async_mode: str | None) -> None:
    from ecabinet.serving import serve as run

    # The same precedence main() used when it monkey-patched: option, env, instance file.
    app = _app(ASYNC_MODE=async_mode) if async_mode else _app()
    run(app, host, port)


@cli.group(help="Database schema commands.")
def db() -> None:
    pass


@db.command("upgrade", help="Create or migrate the database schema to the newest revision.")
def db_upgrade() -> None:
    app = _app(require_schema=False, ASYNC_MODE="threading")
    upgrade(app.extensions["ecabinet.db"].engine)
    click.echo("Database is up to date.")


@cli.command("create-user", help="Create a staff account (admin, secretary or chair).")
@click.argument("username")
@click.option("--role", type=click.Choice([r.value for r in Role]), required=True)
@click.option("--full-name", default="", help="Shown in the interface.")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
def create_user(username: str, role: str, full_name: str, password_stdin: bool) -> None:
    from ecabinet.auth import service

    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    app = _app(ASYNC_MODE="threading")
    try:
        with app.extensions["ecabinet.db"].unit_of_work() as session:
            user = service.create_user(
                session,
                actor=SYSTEM,
                username=username,
                password=password,
                role=role,
                full_name=full_name,
            )
            click.echo(f"Created {user.role} '{user.username}' (id {user.id}).")
    except AppError as exc:
        raise click.ClickException(exc.message) from None


@cli.group(help="Manage staff accounts.")
def user() -> None:
    pass


@user.command("disable", help="Disable an account: its sessions, API tokens and sockets end now.")
@click.argument("username")
def user_disable(username: str) -> None:
    _on_account(
        username,
        lambda auth, session, uid: auth.set_active(
            session, actor=SYSTEM, user_id=uid, active=False
        ),
    )
    click.echo(f"Disabled '{username}'.")


@user.command("enable", help="Re-enable a disabled account.")
@click.argument("username")
def user_enable(username: str) -> None:
    _on_account(
        username,
        lambda auth, session, uid: auth.set_active(session, actor=SYSTEM, user_id=uid, active=True),
    )
    click.echo(f"Enabled '{username}'.")


@user.command("set-password", help="Set a new password; every session of the account ends.")
@click.argument("username")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
def user_set_password(username: str, password_stdin: bool) -> None:
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("New password", hide_input=True, confirmation_prompt=True)
    _on_account(
        username,
        lambda auth, session, uid: auth.set_password(
            session, actor=SYSTEM, user_id=uid, password=password
        ),
    )
    click.echo(f"Password of '{username}' changed; its sessions and API tokens ended.")


def _on_account(username: str, change: Callable[[Any, Session, int], object]) -> None:
    """Apply `change(auth_service, session, user_id)` to one account in one transaction."""
    from ecabinet.auth import service

    app = _app(ASYNC_MODE="threading")
    try:
        with app.extensions["ecabinet.db"].unit_of_work() as session:
            account = service.get_user_by_username(session, username)
            assert account.id is not None
            change(service, session, account.id)
    except AppError as exc:
        raise click.ClickException(exc.message) from None


@cli.command(help="Seed a realistic Vietnamese demo meeting once, then print URLs and logins.")
@click.option(
    "--base-url",
    default=None,
    help="Where the server will be reached; default PUBLIC_URL, else http://HOST:PORT.",
)
def demo(base_url: str | None) -> None:
    from pathlib import Path

    from ecabinet.demo import seed_demo

    app = _app(ASYNC_MODE="threading")
    if not base_url:
        host = os.environ.get("HOST", "127.0.0.1")
        host = "127.0.0.1" if host in ("0.0.0.0", "::") else host  # noqa: S104  (not binding)
        base_url = app.config["PUBLIC_URL"] or f"http://{host}:{os.environ.get('PORT', '5000')}"
    info = seed_demo(
        app.extensions["ecabinet.db"],
        app.extensions["ecabinet.storage"],
        instance_path=Path(app.instance_path),
        base_url=str(base_url).rstrip("/"),
        token_days=int(app.config["ATTENDEE_TOKEN_DAYS"]),
        timezone=str(app.config["TIMEZONE"]),
    )
    click.echo(info.describe())


def _add_feature_commands() -> None:
    from ecabinet.jobs import cli as jobs_cli

    for command in jobs_cli.COMMANDS:
        cli.add_command(command)


_add_feature_commands()
