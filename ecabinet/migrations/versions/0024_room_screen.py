"""room screens: paired by a short code, then a revocable screen credential

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-07 06:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

from ecabinet.timeutil import UtcDateTime

revision: str = "0024"
down_revision: str | None = "0023"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

String = sqlmodel.sql.sqltypes.AutoString


def upgrade() -> None:
    op.create_table(
        "room_screen",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("secret_hash", String(length=64), nullable=False),
        sa.Column("pair_code", String(length=8), nullable=True),
        sa.Column("code_expires_at", UtcDateTime(), nullable=False),
        sa.Column("meeting_id", sa.Integer(), nullable=True),
        sa.Column("name", String(length=100), nullable=False),
        sa.Column("paired_by_id", sa.Integer(), nullable=True),
        sa.Column("paired_at", UtcDateTime(), nullable=True),
        sa.Column("expires_at", UtcDateTime(), nullable=True),
        sa.Column("revoked_at", UtcDateTime(), nullable=True),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["meeting_id"], ["meeting.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["paired_by_id"], ["user_account.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("secret_hash"),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_room_screen_pair_code", "room_screen", ["pair_code"])
    op.create_index("ix_room_screen_meeting_id", "room_screen", ["meeting_id"])


def downgrade() -> None:
    op.drop_index("ix_room_screen_meeting_id", table_name="room_screen")
    op.drop_index("ix_room_screen_pair_code", table_name="room_screen")
    op.drop_table("room_screen")
