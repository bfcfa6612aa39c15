"""attendee search without diacritics

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06 03:50:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

from ecabinet.attendees.models import search_text

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# SQLite's batch mode rebuilds the table from its reflection, which forgets AUTOINCREMENT.
KEEP_AUTOINCREMENT = {"sqlite_autoincrement": True}


def upgrade() -> None:
    with op.batch_alter_table("attendee", table_kwargs=KEEP_AUTOINCREMENT) as batch:
        batch.add_column(
            sa.Column(
                "search_text",
                sqlmodel.sql.sqltypes.AutoString(length=800),
                nullable=False,
                server_default="",
            )
        )
    with op.batch_alter_table("attendee", table_kwargs=KEEP_AUTOINCREMENT) as batch:
        batch.alter_column("search_text", server_default=None)
    # Attendees listed before this revision become searchable too.
    bind = op.get_bind()
    attendee = sa.table(
        "attendee",
        sa.column("id", sa.Integer),
        sa.column("full_name", sa.String),
        sa.column("position", sa.String),
        sa.column("unit", sa.String),
        sa.column("phone", sa.String),
        sa.column("search_text", sa.String),
    )
    rows = bind.execute(
        sa.select(
            attendee.c.id,
            attendee.c.full_name,
            attendee.c.position,
            attendee.c.unit,
            attendee.c.phone,
        )
    ).all()
    if rows:
        bind.execute(
            attendee.update()
            .where(attendee.c.id == sa.bindparam("attendee_id"))
            .values(search_text=sa.bindparam("text")),
            [
                {
                    "attendee_id": row.id,
                    "text": search_text(row.full_name, row.position, row.unit, row.phone),
                }
                for row in rows
            ],
        )


def downgrade() -> None:
    with op.batch_alter_table("attendee", table_kwargs=KEEP_AUTOINCREMENT) as batch:
        batch.drop_column("search_text")
