"""Click commands behind `ecabinet`. Each builds the app, then calls the same services."""

from __future__ import annotations

import os

import click
from flask import Flask

from ecabinet.config import ConfigError
from ecabinet.db import DatabaseNotMigrated, upgrade


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
@click.pass_context
def cli(ctx: click.Context) -> None:
    ctx.obj = make_app  # features' commands build the app through this


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
    # The documents' checks and thumbnails are jobs: run them now, so the demo is ready.
    app.extensions["ecabinet.jobs"].drain()
    click.echo(info.describe())


def _add_feature_commands() -> None:
    """Each feature with a `cli` module contributes its COMMANDS (ecabinet/features.py)."""
    from ecabinet.features import feature_modules

    for module in feature_modules("cli"):
        for command in module.COMMANDS:
            cli.add_command(command)


_add_feature_commands()
