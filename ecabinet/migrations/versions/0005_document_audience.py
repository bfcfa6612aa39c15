"""documents for chosen attendees only

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-30 06:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("document", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "audience",
                sqlmodel.sql.sqltypes.AutoString(length=16),
                nullable=False,
                server_default="all",
            )
        )
    with op.batch_alter_table("document", schema=None) as batch_op:
        batch_op.alter_column("audience", server_default=None)
    op.create_table(
        "document_audience",
        sa.Column("document_id", sa.Integer(), nullable=False),
        sa.Column("attendee_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["attendee_id"], ["attendee.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["document_id"], ["document.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("document_id", "attendee_id"),
    )
    with op.batch_alter_table("document_audience", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_document_audience_attendee_id"), ["attendee_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("document_audience", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_document_audience_attendee_id"))
    op.drop_table("document_audience")
    with op.batch_alter_table("document", schema=None) as batch_op:
        batch_op.drop_column("audience")
