"""printouts: only the newest run of a printout's job may issue its cards or finish it

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-06 06:45:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# SQLite's batch mode rebuilds the table from its reflection, which forgets AUTOINCREMENT.
KEEP_AUTOINCREMENT = {"sqlite_autoincrement": True}


def upgrade() -> None:
    with op.batch_alter_table("printout", schema=None, table_kwargs=KEEP_AUTOINCREMENT) as batch:
        batch.add_column(sa.Column("attempt", sa.Integer(), nullable=False, server_default="0"))
    with op.batch_alter_table("printout", schema=None, table_kwargs=KEEP_AUTOINCREMENT) as batch:
        batch.alter_column("attempt", server_default=None)


def downgrade() -> None:
    with op.batch_alter_table("printout", schema=None, table_kwargs=KEEP_AUTOINCREMENT) as batch:
        batch.drop_column("attempt")
