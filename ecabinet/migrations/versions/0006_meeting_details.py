"""meeting details, lifecycle, co-secretaries and edit revisions

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-06 00:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

from ecabinet.text import fold
from ecabinet.timeutil import UtcDateTime

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# SQLite's batch mode rebuilds the table from its reflection, which forgets AUTOINCREMENT
# (0002): without this, a deleted meeting's id would be handed out again.
KEEP_AUTOINCREMENT = {"sqlite_autoincrement": True}

TEXT_COLUMNS = (
    ("kind", 100, ""),
    ("organiser", 200, ""),
    ("confidentiality", 16, "normal"),
    ("search_text", 1000, ""),
)


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        # 0004 and 0005 rebuilt `document` in batch mode and lost its AUTOINCREMENT; put it
        # back, so a deleted document's id is never handed to a new one.
        with op.batch_alter_table("document", recreate="always", table_kwargs=KEEP_AUTOINCREMENT):
            pass
    with op.batch_alter_table("meeting", schema=None, table_kwargs=KEEP_AUTOINCREMENT) as batch_op:
        for name, length, default in TEXT_COLUMNS:
            batch_op.add_column(
                sa.Column(
                    name,
                    sqlmodel.sql.sqltypes.AutoString(length=length),
                    nullable=False,
                    server_default=default,
                )
            )
        batch_op.add_column(sa.Column("ends_at", UtcDateTime(), nullable=True))
        batch_op.add_column(sa.Column("revision", sa.Integer(), nullable=False, server_default="1"))
    with op.batch_alter_table("meeting", schema=None, table_kwargs=KEEP_AUTOINCREMENT) as batch_op:
        for name, _length, _default in TEXT_COLUMNS:
            batch_op.alter_column(name, server_default=None)
        batch_op.alter_column("revision", server_default=None)
    # Meetings made before this revision become searchable too.
    bind = op.get_bind()
    meetings = sa.table(
        "meeting",
        sa.column("id", sa.Integer),
        sa.column("title", sa.String),
        sa.column("location", sa.String),
        sa.column("search_text", sa.String),
    )
    for meeting_id, title, location in bind.execute(
        sa.select(meetings.c.id, meetings.c.title, meetings.c.location)
    ).all():
        bind.execute(
            meetings.update()
            .where(meetings.c.id == meeting_id)
            .values(search_text=fold(f"{title} {location}")[:1000])
        )
    op.create_table(
        "meeting_secretary",
        sa.Column("meeting_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["meeting_id"], ["meeting.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["user_id"], ["user_account.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("meeting_id", "user_id"),
    )
    with op.batch_alter_table("meeting_secretary", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_meeting_secretary_user_id"), ["user_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("meeting_secretary", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_meeting_secretary_user_id"))
    op.drop_table("meeting_secretary")
    with op.batch_alter_table("meeting", schema=None, table_kwargs=KEEP_AUTOINCREMENT) as batch_op:
        for name in ("revision", "ends_at", "search_text", "confidentiality", "organiser", "kind"):
            batch_op.drop_column(name)
