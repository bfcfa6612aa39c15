"""pickup: a typed code beside each card's QR; alerts for a second device

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-06 06:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

from ecabinet.timeutil import UtcDateTime

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# SQLite's batch mode rebuilds the table from its reflection, which forgets AUTOINCREMENT.
KEEP_AUTOINCREMENT = {"sqlite_autoincrement": True}


def upgrade() -> None:
    with op.batch_alter_table(
        "attendee_token", schema=None, table_kwargs=KEEP_AUTOINCREMENT
    ) as batch:
        batch.add_column(
            sa.Column("code_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True)
        )
        batch.create_unique_constraint(batch.f("uq_attendee_token_code_hash"), ["code_hash"])
    op.create_table(
        "pickup_alert",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("meeting_id", sa.Integer(), nullable=False),
        sa.Column("attendee_id", sa.Integer(), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("user_agent", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
        sa.Column("address", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("resolved_at", UtcDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["attendee_id"], ["attendee.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["meeting_id"], ["meeting.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("pickup_alert", schema=None) as batch:
        batch.create_index(batch.f("ix_pickup_alert_attendee_id"), ["attendee_id"])
        batch.create_index(batch.f("ix_pickup_alert_meeting_id"), ["meeting_id"])


def downgrade() -> None:
    op.drop_table("pickup_alert")
    with op.batch_alter_table(
        "attendee_token", schema=None, table_kwargs=KEEP_AUTOINCREMENT
    ) as batch:
        batch.drop_constraint(batch.f("uq_attendee_token_code_hash"), type_="unique")
        batch.drop_column("code_hash")
