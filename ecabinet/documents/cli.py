"""`ecabinet keys ...`: the keys that seal stored files (ECABINET_KEY_FILE)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from ecabinet import sealing


def _app() -> Any:
    make_app = click.get_current_context().obj
    return make_app(ASYNC_MODE="threading")


@click.group(help="The keys that seal stored files (ECABINET_KEY_FILE).")
def keys() -> None:
    pass


@keys.command(
    "rotate",
    help="Seal every stored file with a new key, then drop the old ones. "
    "Stop the server first; safe to interrupt and run again.",
)
def rotate() -> None:
    app = _app()
    store = app.extensions["ecabinet.storage"]
    key_file = Path(str(app.config["KEY_FILE"]))
    done = sealing.rotate(key_file, store.root, store.stored_files)
    click.echo(f"Khóa mới {done.key_id}: đã mã hóa lại {done.resealed} tệp.")
    if done.kept_old:
        click.echo(
            "Còn tệp dùng khóa cũ (máy chủ đang chạy vẫn ghi tệp?): khóa cũ được giữ lại. "
            "Dừng máy chủ rồi chạy lại lệnh này.",
            err=True,
        )
        raise SystemExit(1)


@keys.command("status", help="Which keys the key file holds and the stored files use.")
def status() -> None:
    app = _app()
    store = app.extensions["ecabinet.storage"]
    key_file = Path(str(app.config["KEY_FILE"]))
    ring = sealing.KeyRing.load(key_file)
    counts: dict[str, int] = {}
    for path in store.stored_files():
        key = sealing.key_ids_of(path) or "(không mã hóa)"
        counts[key] = counts.get(key, 0) + 1
    click.echo(f"Tệp khóa: {key_file} (khóa hiện dùng: {ring.current}; có {len(ring.keys)} khóa)")
    for key, count in sorted(counts.items()):
        click.echo(f"  {key}: {count} tệp")


COMMANDS = [keys]
