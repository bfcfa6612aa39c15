"""pickup status: which cards were printed, which documents each delegate opened

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-06 06:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from ecabinet.timeutil import UtcDateTime

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# SQLite's batch mode rebuilds the table from its reflection, which forgets AUTOINCREMENT.
KEEP_AUTOINCREMENT = {"sqlite_autoincrement": True}


def upgrade() -> None:
    with op.batch_alter_table(
        "attendee_token", schema=None, table_kwargs=KEEP_AUTOINCREMENT
    ) as batch:
        batch.add_column(
            sa.Column("printed", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    with op.batch_alter_table(
        "attendee_token", schema=None, table_kwargs=KEEP_AUTOINCREMENT
    ) as batch:
        batch.alter_column("printed", server_default=None)
    op.create_table(
        "document_opened",
        sa.Column("document_id", sa.Integer(), nullable=False),
        sa.Column("attendee_id", sa.Integer(), nullable=False),
        sa.Column("first_at", UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["attendee_id"], ["attendee.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["document_id"], ["document.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("document_id", "attendee_id"),
    )
    with op.batch_alter_table("document_opened", schema=None) as batch:
        batch.create_index(batch.f("ix_document_opened_attendee_id"), ["attendee_id"])


def downgrade() -> None:
    op.drop_table("document_opened")
    with op.batch_alter_table(
        "attendee_token", schema=None, table_kwargs=KEEP_AUTOINCREMENT
    ) as batch:
        batch.drop_column("printed")
