"""viewings of Mật documents name the delegate's tablet

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-06 06:35:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# SQLite's batch mode rebuilds the table from its reflection, which forgets AUTOINCREMENT.
KEEP_AUTOINCREMENT = {"sqlite_autoincrement": True}


def upgrade() -> None:
    with op.batch_alter_table(
        "document_access", schema=None, table_kwargs=KEEP_AUTOINCREMENT
    ) as batch:
        batch.add_column(sa.Column("device_id", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table(
        "document_access", schema=None, table_kwargs=KEEP_AUTOINCREMENT
    ) as batch:
        batch.drop_column("device_id")
