"""documents are checked by a job: status, rejection, thumbnail

Rows that exist already were checked on upload by the code of that time: they are ready.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-30 05:50:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("document", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "status",
                sqlmodel.sql.sqltypes.AutoString(length=16),
                nullable=False,
                server_default="ready",
            )
        )
        batch_op.add_column(
            sa.Column(
                "rejection_code",
                sqlmodel.sql.sqltypes.AutoString(length=40),
                nullable=False,
                server_default="",
            )
        )
        batch_op.add_column(
            sa.Column(
                "rejection_message",
                sqlmodel.sql.sqltypes.AutoString(length=300),
                nullable=False,
                server_default="",
            )
        )
        batch_op.add_column(
            sa.Column("has_thumbnail", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    # The defaults served the rows already there; new rows get theirs from the model.
    with op.batch_alter_table("document", schema=None) as batch_op:
        batch_op.alter_column("status", server_default=None)
        batch_op.alter_column("rejection_code", server_default=None)
        batch_op.alter_column("rejection_message", server_default=None)
        batch_op.alter_column("has_thumbnail", server_default=None)


def downgrade() -> None:
    with op.batch_alter_table("document", schema=None) as batch_op:
        batch_op.drop_column("has_thumbnail")
        batch_op.drop_column("rejection_message")
        batch_op.drop_column("rejection_code")
        batch_op.drop_column("status")
