"""document revisions, and the record of confidential document viewings

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06 03:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

from ecabinet.timeutil import UtcDateTime

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# SQLite's batch mode rebuilds the table from its reflection, which forgets AUTOINCREMENT.
KEEP_AUTOINCREMENT = {"sqlite_autoincrement": True}


def _text(name: str, length: int, **kw: object) -> sa.Column:  # type: ignore[type-arg]
    return sa.Column(name, sqlmodel.sql.sqltypes.AutoString(length=length), **kw)  # type: ignore[arg-type]


def upgrade() -> None:
    with op.batch_alter_table("document", schema=None, table_kwargs=KEEP_AUTOINCREMENT) as batch:
        batch.add_column(sa.Column("revision", sa.Integer(), nullable=False, server_default="1"))
    with op.batch_alter_table("document", schema=None, table_kwargs=KEEP_AUTOINCREMENT) as batch:
        batch.alter_column("revision", server_default=None)
    op.create_table(
        "document_revision",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("document_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        _text("filename", 255, nullable=False),
        _text("content_type", 100, nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        _text("sha256", 64, nullable=False),
        sa.Column("page_count", sa.Integer(), nullable=False),
        _text("status", 16, nullable=False),
        _text("rejection_code", 40, nullable=False),
        _text("rejection_message", 300, nullable=False),
        sa.Column("has_thumbnail", sa.Boolean(), nullable=False),
        sa.Column("uploaded_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["document_id"], ["document.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["uploaded_by_id"], ["user_account.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("document_id", "number", name="uq_document_revision_number"),
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("document_revision", schema=None) as batch:
        batch.create_index(batch.f("ix_document_revision_document_id"), ["document_id"])
        batch.create_index(batch.f("ix_document_revision_sha256"), ["sha256"])
    # Every document so far is its own first revision.
    op.execute(
        "INSERT INTO document_revision (document_id, number, filename, content_type, size,"
        " sha256, page_count, status, rejection_code, rejection_message, has_thumbnail,"
        " uploaded_by_id, created_at)"
        " SELECT id, 1, filename, content_type, size, sha256, page_count, status,"
        " rejection_code, rejection_message, has_thumbnail, uploaded_by_id, created_at"
        " FROM document ORDER BY id"
    )
    op.create_table(
        "document_access",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("document_id", sa.Integer(), nullable=True),
        sa.Column("meeting_id", sa.Integer(), nullable=True),
        sa.Column("revision", sa.Integer(), nullable=False),
        _text("confidentiality", 16, nullable=False),
        _text("title", 300, nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("attendee_id", sa.Integer(), nullable=True),
        _text("viewer_name", 200, nullable=False),
        _text("via", 16, nullable=False),
        sa.Column("first_at", UtcDateTime(), nullable=False),
        sa.Column("last_at", UtcDateTime(), nullable=False),
        sa.Column("requests", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["attendee_id"], ["attendee.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["document_id"], ["document.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["meeting_id"], ["meeting.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["user_id"], ["user_account.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("document_access", schema=None) as batch:
        batch.create_index(batch.f("ix_document_access_document_id"), ["document_id"])
        batch.create_index(batch.f("ix_document_access_meeting_id"), ["meeting_id"])


def downgrade() -> None:
    op.drop_table("document_access")
    op.drop_table("document_revision")
    with op.batch_alter_table("document", schema=None, table_kwargs=KEEP_AUTOINCREMENT) as batch:
        batch.drop_column("revision")
