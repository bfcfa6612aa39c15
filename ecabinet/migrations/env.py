"""Alembic environment: the engine comes from the caller (ecabinet.db.upgrade), never a URL here."""

from __future__ import annotations

from typing import Any

from alembic import context
from sqlmodel import SQLModel

import ecabinet.models  # noqa: F401  (registers every table on SQLModel.metadata)

config = context.config
target_metadata = SQLModel.metadata


def _sqlite_foreign_keys(connection: Any, on: bool) -> None:
    # SQLite alters a table by copying it and dropping the original; with foreign keys on,
    # that DROP cascades into the children. The pragma only works outside a transaction, so
    # it goes straight to the driver connection (autocommit, see db._configure_sqlite).
    driver = connection.connection.driver_connection
    driver.execute(f"PRAGMA foreign_keys={'ON' if on else 'OFF'}")


def run_migrations_online() -> None:
    engine = config.attributes["engine"]
    with engine.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:
            _sqlite_foreign_keys(connection, on=False)
        try:
            context.configure(
                connection=connection,
                target_metadata=target_metadata,
                render_as_batch=sqlite,  # SQLite alters by table copy
                compare_type=True,
            )
            with context.begin_transaction():
                context.run_migrations()
                if sqlite:
                    broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                    if broken:
                        raise RuntimeError(f"migration left dangling references: {broken[:5]}")
            connection.commit()
        finally:
            if sqlite:
                _sqlite_foreign_keys(connection, on=True)


run_migrations_online()
