"""`ecabinet create-user` and `ecabinet user ...`: staff accounts from the command line."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

import click
from sqlmodel import Session

from ecabinet.actor import SYSTEM, Role
from ecabinet.errors import AppError


def _app() -> Any:
    make_app = click.get_current_context().obj  # the `ecabinet` group's app factory
    return make_app(ASYNC_MODE="threading")


@click.command("create-user", help="Create a staff account (admin, secretary or chair).")
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
    app = _app()
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


@click.group(help="Manage staff accounts.")
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

    app = _app()
    try:
        with app.extensions["ecabinet.db"].unit_of_work() as session:
            account = service.get_user_by_username(session, username)
            assert account.id is not None
            change(service, session, account.id)
    except AppError as exc:
        raise click.ClickException(exc.message) from None


COMMANDS = (create_user, user)
