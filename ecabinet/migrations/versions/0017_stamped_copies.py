"""stamped copies: a delegate's own watermarked copy of a Mật / Tối mật PDF

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-06 06:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

from ecabinet.timeutil import UtcDateTime

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "stamped_copy",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("document_id", sa.Integer(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("attendee_id", sa.Integer(), nullable=False),
        sa.Column("copy_number", sa.Integer(), nullable=False),
        sa.Column("holder", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("sha256", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["attendee_id"], ["attendee.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["document_id"], ["document.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("document_id", "revision", "attendee_id", name="uq_stamped_copy"),
        sa.UniqueConstraint(
            "document_id", "revision", "copy_number", name="uq_stamped_copy_number"
        ),
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("stamped_copy", schema=None) as batch:
        batch.create_index(batch.f("ix_stamped_copy_attendee_id"), ["attendee_id"])
        batch.create_index(batch.f("ix_stamped_copy_document_id"), ["document_id"])


def downgrade() -> None:
    op.drop_table("stamped_copy")
