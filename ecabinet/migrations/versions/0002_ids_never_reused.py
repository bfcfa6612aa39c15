"""ids are never reused: AUTOINCREMENT on every SQLite table

Without it SQLite hands out the highest deleted id again, so a tablet still in room
"meeting:7" of a deleted meeting would see the next meeting 7. PostgreSQL sequences never
reuse ids; there this revision changes nothing.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-30 05:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Parents before children, so each copy sees the ids it points at.
TABLES = (
    "user_account",
    "api_token",
    "meeting",
    "agenda_item",
    "attendee",
    "attendee_token",
    "document",
)


def _recreate(autoincrement: bool) -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    for table in TABLES:
        # env.py turns foreign keys off around SQLite migrations: dropping the old copy of a
        # parent table would otherwise cascade into its children.
        with op.batch_alter_table(
            table, recreate="always", table_kwargs={"sqlite_autoincrement": autoincrement}
        ):
            pass


def upgrade() -> None:
    _recreate(True)


def downgrade() -> None:
    _recreate(False)
