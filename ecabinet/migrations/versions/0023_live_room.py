"""live room: pause, per-item timers, announcement, presenter mode; delegates' private notes

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-07 05:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

from ecabinet.timeutil import UtcDateTime

revision: str = "0023"
down_revision: str | None = "0022"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

String = sqlmodel.sql.sqltypes.AutoString
# SQLite's batch mode rebuilds a table from its reflection, which forgets AUTOINCREMENT.
KEEP_AUTOINCREMENT = {"sqlite_autoincrement": True}


def upgrade() -> None:
    op.add_column("meeting", sa.Column("paused_at", UtcDateTime(), nullable=True))
    op.add_column("meeting", sa.Column("item_started_at", UtcDateTime(), nullable=True))
    op.add_column(
        "meeting",
        sa.Column("announcement", String(length=500), nullable=False, server_default=""),
    )
    op.add_column("meeting", sa.Column("presenting_document_id", sa.Integer(), nullable=True))
    op.add_column("meeting", sa.Column("presenting_page", sa.Integer(), nullable=True))
    op.add_column(
        "agenda_item",
        sa.Column("spent_seconds", sa.Integer(), nullable=False, server_default="0"),
    )
    op.create_table(
        "document_note",
        sa.Column("document_id", sa.Integer(), nullable=False),
        sa.Column("attendee_id", sa.Integer(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["document_id"], ["document.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["attendee_id"], ["attendee.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("document_id", "attendee_id"),
    )
    op.create_index("ix_document_note_attendee_id", "document_note", ["attendee_id"])


def downgrade() -> None:
    op.drop_index("ix_document_note_attendee_id", table_name="document_note")
    op.drop_table("document_note")
    with op.batch_alter_table("agenda_item", table_kwargs=KEEP_AUTOINCREMENT) as batch_op:
        batch_op.drop_column("spent_seconds")
    with op.batch_alter_table("meeting", table_kwargs=KEEP_AUTOINCREMENT) as batch_op:
        for name in (
            "presenting_page",
            "presenting_document_id",
            "announcement",
            "item_started_at",
            "paused_at",
        ):
            batch_op.drop_column(name)
