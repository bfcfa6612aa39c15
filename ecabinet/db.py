"""Database glue: one engine per app, units of work, SQLite pragmas, the migrated-check."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from alembic.config import Config as AlembicConfig
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import CursorResult, Engine, Executable, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session, create_engine

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


class DatabaseNotMigrated(RuntimeError):
    """The schema is missing or behind the code."""


def normalise_url(raw: str) -> URL:
    """postgresql:// means our pure-Python driver (pg8000), which yields under green threads."""
    url = make_url(raw)
    if url.drivername in ("postgresql", "postgres"):
        url = url.set(drivername="postgresql+pg8000")
    return url


def make_engine(raw_url: str) -> Engine:
    url = normalise_url(raw_url)
    kwargs: dict[str, Any] = {}
    if url.get_backend_name() == "sqlite":
        if url.database and url.database != ":memory:":
            Path(url.database).parent.mkdir(parents=True, exist_ok=True)
        # Green threads share one OS thread, so the same-thread check must go; each checkout
        # is still exclusive. Pooling (not NullPool) saves a connect and four PRAGMAs per unit
        # of work: the chair's "next" went from ~17 to ~10 ms in bench/RESULTS.md.
        kwargs["connect_args"] = {"check_same_thread": False, "timeout": 10}
        kwargs["pool_size"] = 10
        kwargs["max_overflow"] = 20
    else:
        kwargs["pool_pre_ping"] = True
    engine = create_engine(url, **kwargs)
    if url.get_backend_name() == "sqlite":
        _configure_sqlite(engine)
    return engine


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # Let SQLAlchemy's "begin" hook below issue BEGIN itself (pysqlite recipe).
        dbapi_conn.isolation_level = None
        cursor = dbapi_conn.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=10000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        # Writers take the lock up front so two writers never deadlock on an upgrade.
        mode = conn.get_execution_options().get("sqlite_begin", "DEFERRED")
        # Straight to the driver: every unit of work begins here, and the full statement
        # machinery (events, result set-up) cost ~30 µs per BEGIN for nothing.
        conn.connection.driver_connection.execute(f"BEGIN {mode}")


@dataclass
class Database:
    engine: Engine
    sessions: sessionmaker[Session]

    @classmethod
    def from_url(cls, raw_url: str) -> Database:
        engine = make_engine(raw_url)
        return cls(engine, sessionmaker(engine, class_=Session, expire_on_commit=False))

    @contextmanager
    def unit_of_work(self, *, write: bool = True) -> Iterator[Session]:
        """One transaction: commit when the block ends, roll back if it raises."""
        with self.sessions() as session:
            if write and self.engine.dialect.name == "sqlite":
                session.connection(execution_options={"sqlite_begin": "IMMEDIATE"})
            try:
                yield session
                session.commit()
            except BaseException:
                session.rollback()
                raise

    def dispose(self) -> None:
        self.engine.dispose()


def run(
    session: Session, statement: Executable, params: Mapping[str, Any]
) -> CursorResult[*tuple[Any, ...]]:
    """Execute a statement built once, at import, with these bound values, on the unit of
    work's connection. For the hot paths (every request's credential check, every live
    control and push): building a select and sending it through the ORM costs ~0.5 ms of
    Python per call, a prebuilt one on the connection ~0.1 ms (docs/architecture.md)."""
    return session.connection().execute(statement, params)


def alembic_config(engine: Engine) -> AlembicConfig:
    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.attributes["engine"] = engine
    return cfg


def upgrade(engine: Engine, revision: str = "head") -> None:
    from alembic import command

    command.upgrade(alembic_config(engine), revision)


def head_revision() -> str | None:
    script = ScriptDirectory.from_config(alembic_config_for_script())
    return script.get_current_head()


def alembic_config_for_script() -> AlembicConfig:
    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    return cfg


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def require_migrated(engine: Engine) -> None:
    current, head = current_revision(engine), head_revision()
    if current != head:
        where = "empty" if current is None else f"at revision {current}, code expects {head}"
        raise DatabaseNotMigrated(
            f"The database is {where}. Run `ecabinet db upgrade` (or `make run`) first."
        )


def insert_or_ignore(session: Any, table: Any) -> Any:
    """An INSERT for `table` in the session's dialect, which has .on_conflict_do_nothing():
    the one statement that keeps "written once" on SQLite and PostgreSQL alike."""
    from sqlalchemy.dialects.postgresql import insert as pg_insert
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    dialect = session.get_bind().dialect.name
    return (pg_insert if dialect == "postgresql" else sqlite_insert)(table)
