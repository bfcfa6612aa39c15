"""The `ecabinet` command: serve, db upgrade, create-user, demo."""

from __future__ import annotations

import sys
from typing import Any


def main() -> None:
    # `serve` must monkey-patch before Flask, SQLAlchemy or click touch socket/threading.
    if len(sys.argv) > 1 and sys.argv[1] == "serve":
        from ecabinet.serving import configured_async_mode, patch

        patch(_option_value("--async-mode") or configured_async_mode())
    from ecabinet.commands import cli

    cli(prog_name="ecabinet")


def _option_value(name: str) -> str | None:
    args: list[Any] = sys.argv[2:]
    for index, arg in enumerate(args):
        if arg == name and index + 1 < len(args):
            return str(args[index + 1])
        if isinstance(arg, str) and arg.startswith(name + "="):
            return arg.split("=", 1)[1]
    return None
