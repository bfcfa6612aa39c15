"""Playwright driving Debian's Chromium, with the flags that keep it off the Internet."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.tools import need, need_module

CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def chromium_path() -> str:
    return need("/usr/bin/chromium", "browser tests use Debian's Chromium")


@pytest.fixture
def playwright() -> Iterator[object]:
    sync_api = need_module("playwright.sync_api", "drives Chromium")
    with sync_api.sync_playwright() as p:
        yield p


@pytest.fixture
def launch(playwright: object, chromium_path: str, tmp_path: Path) -> Iterator[object]:
    """Start a browser with a fresh --user-data-dir each call (one per simulated device)."""
    contexts: list[object] = []

    def start(name: str, extra_args: tuple[str, ...] = (), **options: object) -> object:
        context = playwright.chromium.launch_persistent_context(  # type: ignore[attr-defined]
            str(tmp_path / f"profile-{name}"),
            executable_path=chromium_path,
            args=[*CHROMIUM_FLAGS, *extra_args],
            **options,
        )
        contexts.append(context)
        return context

    yield start
    for context in contexts:
        context.close()  # type: ignore[attr-defined]
