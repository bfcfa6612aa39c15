"""Fixtures: a migrated database per test (SQLite copy, or PostgreSQL truncated), the app,
its test client, login helpers, and a guard that fails any test dialling out."""

from __future__ import annotations

import os
import re
import shutil
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from argon2 import PasswordHasher
from sqlalchemy import text
from sqlalchemy.engine import make_url

from ecabinet.auth import service as auth_service
from ecabinet.db import Database, make_engine, upgrade
from ecabinet.documents.storage import Storage
from tests.factories import PASSWORD, MeetingFixture, Staff, make_meeting
from tests.tools import ServerProcess

if TYPE_CHECKING:
    from flask import Flask
    from flask.testing import FlaskClient

# Argon2id at a test cost (1 pass, 1 MiB): the default's 170 ms per hash, times every user
# the suite creates and signs in, was minutes of each run. Servers started by the tests hash
# at the default cost; test_services checks the default stays at its strength.
auth_service.use_password_hasher(PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))

# Set by the PostgreSQL run of the suite (make test-postgres).
TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL", "")
SECRET = "test-secret-key-that-is-long-enough-0123456789"


@pytest.fixture(autouse=True)
def _no_outside_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail any test that opens a connection beyond loopback (the SMS twin of disallow_emails)."""
    real_connect = socket.socket.connect

    def guarded(self: socket.socket, address: Any) -> Any:
        if self.family in (socket.AF_INET, socket.AF_INET6):
            host = address[0]
            if host not in ("127.0.0.1", "::1", "localhost") and not str(host).startswith("127."):
                raise AssertionError(f"test tried to reach {address!r}: only loopback is allowed")
        return real_connect(self, address)

    monkeypatch.setattr(socket.socket, "connect", guarded)


@pytest.fixture(scope="session")
def template_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One migrated SQLite file per session; each test gets a copy (or the PostgreSQL schema)."""
    if TEST_DATABASE_URL:
        name = make_url(TEST_DATABASE_URL).database or ""
        assert name.endswith("_test"), (
            f"refusing to wipe database {name!r}: its name must end in _test"
        )
        engine = make_engine(TEST_DATABASE_URL)
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        upgrade(engine)
        engine.dispose()
        return Path("/nonexistent")
    path = tmp_path_factory.mktemp("template") / "template.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    with engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    engine.dispose()
    return path


@pytest.fixture
def db_url(template_db: Path, tmp_path: Path) -> str:
    if TEST_DATABASE_URL:
        engine = make_engine(TEST_DATABASE_URL)
        with engine.begin() as conn:
            tables = [
                r[0]
                for r in conn.execute(
                    text("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
                )
                if r[0] != "alembic_version"
            ]
            conn.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
        engine.dispose()
        return TEST_DATABASE_URL
    path = tmp_path / "test.db"
    shutil.copy(template_db, path)
    return f"sqlite:///{path}"


@pytest.fixture
def database(db_url: str) -> Iterator[Database]:
    db = Database.from_url(db_url)
    yield db
    db.dispose()


@pytest.fixture
def storage(tmp_path: Path) -> Storage:
    return Storage(tmp_path / "storage")


def app_config(db_url: str, tmp_path: Path, **extra: Any) -> dict[str, Any]:
    return {
        "TESTING": True,
        "DATABASE_URL": db_url,
        "INSTANCE_PATH": str(tmp_path / "instance"),
        "STORAGE_DIR": str(tmp_path / "storage"),
        "SECRET_KEY": SECRET,
        "ASYNC_MODE": "threading",
        "LOG_LEVEL": "WARNING",
        **extra,
    }


@pytest.fixture
def app(db_url: str, tmp_path: Path) -> Iterator[Flask]:
    from ecabinet.app import create_app

    application = create_app(app_config(db_url, tmp_path))
    yield application
    # A revocation starts a background sweep; let it finish before the pool is closed.
    application.extensions["ecabinet.live"].close()
    application.extensions["ecabinet.db"].dispose()


@pytest.fixture
def app_db(app: Flask) -> Database:
    db: Database = app.extensions["ecabinet.db"]
    return db


@pytest.fixture
def app_storage(app: Flask) -> Storage:
    store: Storage = app.extensions["ecabinet.storage"]
    return store


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


_CSRF = re.compile(r'<meta name="csrf-token" content="([^"]+)"')


class Login:
    """Signs the test client in through the real login form (with its CSRF token)."""

    def __init__(self, client: FlaskClient) -> None:
        self.client = client

    def csrf(self) -> str:
        page = self.client.get("/login").get_data(as_text=True)
        match = _CSRF.search(page)
        assert match, "login page carries a CSRF token"
        return match.group(1)

    def as_staff(self, staff: Staff) -> str:
        """Log in; returns the CSRF token for later writes."""
        response = self.client.post(
            "/login",
            data={"username": staff.username, "password": PASSWORD, "csrf_token": self.csrf()},
        )
        assert response.status_code == 302, response.get_data(as_text=True)
        return self.csrf()


@pytest.fixture
def login(client: FlaskClient) -> Login:
    return Login(client)


@pytest.fixture
def meeting(app_db: Database) -> MeetingFixture:
    return make_meeting(app_db)


@pytest.fixture
def live_server(db_url: str, tmp_path: Path) -> Iterator[ServerProcess]:
    """A real eventlet server in a subprocess, on a free port, sharing this test's database."""
    instance = tmp_path / "server-instance"
    instance.mkdir()
    (instance / "secret_key").write_text("system-test-secret-key-0123456789abcdef0123456789")
    server = ServerProcess(instance=instance, database_url=db_url)
    server.start()
    yield server
    server.stop()


def run_jobs(app: Flask) -> int:
    """Run the app's due jobs now, in this thread (tests run no background runner)."""
    count: int = app.extensions["ecabinet.jobs"].drain()
    return count
