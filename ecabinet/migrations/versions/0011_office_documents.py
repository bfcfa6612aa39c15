"""Word and Excel documents: the PDF conversion tablets read

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06 03:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# SQLite's batch mode rebuilds the table from its reflection, which forgets AUTOINCREMENT.
KEEP_AUTOINCREMENT = {"sqlite_autoincrement": True}
TABLES = ("document", "document_revision")


def upgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table, table_kwargs=KEEP_AUTOINCREMENT) as batch:
            batch.add_column(
                sa.Column(
                    "pdf_sha256",
                    sqlmodel.sql.sqltypes.AutoString(length=64),
                    nullable=False,
                    server_default="",
                )
            )
        with op.batch_alter_table(table, table_kwargs=KEEP_AUTOINCREMENT) as batch:
            batch.alter_column("pdf_sha256", server_default=None)


def downgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table, table_kwargs=KEEP_AUTOINCREMENT) as batch:
            batch.drop_column("pdf_sha256")
