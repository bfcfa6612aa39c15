"""Test helpers that need no app: tool checks, free ports, the real-server process."""

from __future__ import annotations

import importlib
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import requests

CI = os.environ.get("CI", "").lower() == "true"
ROOT = Path(__file__).resolve().parent.parent


def need(path_or_command: str, why: str) -> str:
    """Return the tool's path; skip locally when it is missing, but fail under CI=true."""
    found = path_or_command if Path(path_or_command).is_file() else shutil.which(path_or_command)
    if not found:
        message = f"{path_or_command} is missing ({why}); .ci/run installs it"
        if CI:
            pytest.fail(message)
        pytest.skip(message)
    return found


def need_module(name: str, why: str) -> Any:
    """Import a test-only module; skip locally when missing, fail under CI=true."""
    try:
        return importlib.import_module(name)
    except ImportError:
        message = f"Python module {name} is missing ({why}); `make test` installs it"
        if CI:
            pytest.fail(message)
        pytest.skip(message)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class ServerProcess:
    """`python -m ecabinet serve` in a subprocess, on a free port, with its own instance."""

    def __init__(
        self,
        *,
        instance: Path,
        database_url: str,
        async_mode: str = "eventlet",
        extra_env: dict[str, str] | None = None,
    ) -> None:
        self.extra_env = extra_env or {}
        self.instance = instance
        self.database_url = database_url
        self.async_mode = async_mode
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen[bytes] | None = None
        self.log_path = instance / "server.log"

    def env(self) -> dict[str, str]:
        env = dict(os.environ)
        env.update(
            ECABINET_INSTANCE_PATH=str(self.instance),
            ECABINET_DATABASE_URL=self.database_url,
            ECABINET_STORAGE_DIR=str(self.instance / "storage"),
            ECABINET_ASYNC_MODE=self.async_mode,
            ECABINET_LOG_LEVEL="WARNING",
            PYTHONWARNINGS="ignore::DeprecationWarning",
        )
        env.update(self.extra_env)
        return env

    def start(self, timeout: float = 30.0) -> None:
        with self.log_path.open("ab") as log:  # the child keeps its own descriptor
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "ecabinet", "serve", "--port", str(self.port)],
                cwd=ROOT,
                env=self.env(),
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited early:\n{self.log()}")
            try:
                if requests.get(f"{self.url}/healthz", timeout=1).status_code == 200:
                    return
            except requests.RequestException:
                time.sleep(0.1)
        raise RuntimeError(f"server did not answer in {timeout}s:\n{self.log()}")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""


def server_storage(instance: Path) -> Any:
    """The storage of a real server's instance folder, with the key ring the server sealed
    its files with (its KEY_FILE default), to read them as the server does."""
    from ecabinet.documents.storage import Storage
    from ecabinet.sealing import KeyRing

    key_file = instance / "keys" / "files.key"
    ring = KeyRing.load(key_file) if key_file.exists() else None
    return Storage(instance / "storage", ring)


def worker_process(
    instance: Path, db_url: str, *, log: str = "worker.log", **env: str
) -> subprocess.Popen[bytes]:
    """`python -m ecabinet worker` on an instance folder, its leases short (1 s) so a killed
    worker's job comes back at once; `env` adds ECABINET_* settings (a failpoint, a gateway)."""
    full = dict(os.environ)
    full.update(
        ECABINET_INSTANCE_PATH=str(instance),
        ECABINET_DATABASE_URL=db_url,
        ECABINET_STORAGE_DIR=str(instance / "storage"),
        ECABINET_LOG_LEVEL="WARNING",
        ECABINET_JOB_LEASE_SECONDS="1",
        ECABINET_JOB_POLL_SECONDS="0.2",
        PYTHONWARNINGS="ignore::DeprecationWarning",
        **env,
    )
    with (instance / log).open("ab") as out:  # the child keeps its own descriptor
        return subprocess.Popen(
            [sys.executable, "-m", "ecabinet", "worker"],
            cwd=ROOT,
            env=full,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
