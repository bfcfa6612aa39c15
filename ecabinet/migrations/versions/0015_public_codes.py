"""public codes: the meeting QR (/m/<code>) and the cover sheet's verification QR (/v/<code>)

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-06 06:05:00
"""

import secrets
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# SQLite's batch mode rebuilds the table from its reflection, which forgets AUTOINCREMENT.
KEEP_AUTOINCREMENT = {"sqlite_autoincrement": True}


def _fill(table: str, column: str) -> None:
    """A random code for every existing row, before the column becomes NOT NULL UNIQUE."""
    conn = op.get_bind()
    ids = [row[0] for row in conn.execute(sa.text(f"SELECT id FROM {table}"))]  # noqa: S608
    for row_id in ids:
        conn.execute(
            sa.text(f"UPDATE {table} SET {column} = :code WHERE id = :id"),  # noqa: S608
            {"code": secrets.token_urlsafe(9), "id": row_id},
        )


def upgrade() -> None:
    for table, column in (("meeting", "public_code"), ("document_revision", "verify_code")):
        with op.batch_alter_table(table, schema=None, table_kwargs=KEEP_AUTOINCREMENT) as batch:
            batch.add_column(
                sa.Column(column, sqlmodel.sql.sqltypes.AutoString(length=24), nullable=True)
            )
            if table == "meeting":
                batch.add_column(
                    sa.Column(
                        "public_agenda", sa.Boolean(), nullable=False, server_default=sa.false()
                    )
                )
        _fill(table, column)
        with op.batch_alter_table(table, schema=None, table_kwargs=KEEP_AUTOINCREMENT) as batch:
            batch.alter_column(
                column, existing_type=sqlmodel.sql.sqltypes.AutoString(length=24), nullable=False
            )
            batch.create_unique_constraint(batch.f(f"uq_{table}_{column}"), [column])
            if table == "meeting":
                batch.alter_column("public_agenda", server_default=None)


def downgrade() -> None:
    for table, column in (("meeting", "public_code"), ("document_revision", "verify_code")):
        with op.batch_alter_table(table, schema=None, table_kwargs=KEEP_AUTOINCREMENT) as batch:
            batch.drop_constraint(batch.f(f"uq_{table}_{column}"), type_="unique")
            batch.drop_column(column)
            if table == "meeting":
                batch.drop_column("public_agenda")
