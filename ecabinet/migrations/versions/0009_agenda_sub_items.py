"""agenda sub-items: an item may belong to a top-level item

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06 03:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# SQLite's batch mode rebuilds the table from its reflection, which forgets AUTOINCREMENT.
KEEP_AUTOINCREMENT = {"sqlite_autoincrement": True}


def upgrade() -> None:
    with op.batch_alter_table(
        "agenda_item", schema=None, table_kwargs=KEEP_AUTOINCREMENT
    ) as batch_op:
        batch_op.add_column(sa.Column("parent_id", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_agenda_item_parent_id"), ["parent_id"], unique=False)
        batch_op.create_foreign_key(
            "fk_agenda_item_parent_id_agenda_item",
            "agenda_item",
            ["parent_id"],
            ["id"],
            ondelete="CASCADE",
        )


def downgrade() -> None:
    with op.batch_alter_table(
        "agenda_item", schema=None, table_kwargs=KEEP_AUTOINCREMENT
    ) as batch_op:
        batch_op.drop_constraint("fk_agenda_item_parent_id_agenda_item", type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_agenda_item_parent_id"))
        batch_op.drop_column("parent_id")
