"""agenda item revisions: an edit from an older revision is refused

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06 01:45:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# SQLite's batch mode rebuilds the table from its reflection, which forgets AUTOINCREMENT.
KEEP_AUTOINCREMENT = {"sqlite_autoincrement": True}


def upgrade() -> None:
    with op.batch_alter_table(
        "agenda_item", schema=None, table_kwargs=KEEP_AUTOINCREMENT
    ) as batch_op:
        batch_op.add_column(sa.Column("revision", sa.Integer(), nullable=False, server_default="1"))
    with op.batch_alter_table(
        "agenda_item", schema=None, table_kwargs=KEEP_AUTOINCREMENT
    ) as batch_op:
        batch_op.alter_column("revision", server_default=None)


def downgrade() -> None:
    with op.batch_alter_table(
        "agenda_item", schema=None, table_kwargs=KEEP_AUTOINCREMENT
    ) as batch_op:
        batch_op.drop_column("revision")
