"""SMS outbox: messages, templates, replies; SMS links beside cards; attendance answers

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-07 02:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

from ecabinet.timeutil import UtcDateTime

revision: str = "0021"
down_revision: str | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# SQLite's batch mode rebuilds the table from its reflection, which forgets AUTOINCREMENT.
KEEP_AUTOINCREMENT = {"sqlite_autoincrement": True}
String = sqlmodel.sql.sqltypes.AutoString


def upgrade() -> None:
    op.create_table(
        "sms_message",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("meeting_id", sa.Integer(), nullable=True),
        sa.Column("attendee_id", sa.Integer(), nullable=True),
        sa.Column("kind", String(length=16), nullable=False),
        sa.Column("key", String(length=200), nullable=False),
        sa.Column("client_id", String(length=40), nullable=False),
        sa.Column("phone", String(length=20), nullable=False),
        sa.Column("recipient", String(length=200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("link_token", sa.Boolean(), nullable=False),
        sa.Column("encoding", String(length=8), nullable=False),
        sa.Column("segments", sa.Integer(), nullable=False),
        sa.Column("state", String(length=16), nullable=False),
        sa.Column("gateway", String(length=40), nullable=False),
        sa.Column("provider_id", String(length=100), nullable=True),
        sa.Column("provider_code", String(length=40), nullable=False),
        sa.Column("detail", String(length=500), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.Column("give_up_at", UtcDateTime(), nullable=False),
        sa.Column("sent_at", UtcDateTime(), nullable=True),
        sa.Column("delivered_at", UtcDateTime(), nullable=True),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["attendee_id"], ["attendee.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["created_by"], ["user_account.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["meeting_id"], ["meeting.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("client_id"),
        sa.UniqueConstraint("key"),
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("sms_message", schema=None, table_kwargs=KEEP_AUTOINCREMENT) as b:
        b.create_index(b.f("ix_sms_message_attendee_id"), ["attendee_id"])
        b.create_index(b.f("ix_sms_message_meeting_id"), ["meeting_id"])
        b.create_index(b.f("ix_sms_message_provider_id"), ["provider_id"])
        b.create_index(b.f("ix_sms_message_state"), ["state"])
    op.create_table(
        "sms_template",
        sa.Column("kind", String(length=16), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("strip_diacritics", sa.Boolean(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.Column("updated_by", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["updated_by"], ["user_account.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("kind"),
    )
    op.create_table(
        "sms_reply",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("gateway", String(length=40), nullable=False),
        sa.Column("ref", String(length=120), nullable=False),
        sa.Column("phone", String(length=20), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("meeting_id", sa.Integer(), nullable=True),
        sa.Column("attendee_id", sa.Integer(), nullable=True),
        sa.Column("answer", String(length=16), nullable=False),
        sa.Column("received_at", UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["attendee_id"], ["attendee.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["meeting_id"], ["meeting.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("gateway", "ref"),
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("sms_reply", schema=None, table_kwargs=KEEP_AUTOINCREMENT) as b:
        b.create_index(b.f("ix_sms_reply_attendee_id"), ["attendee_id"])
        b.create_index(b.f("ix_sms_reply_meeting_id"), ["meeting_id"])
    with op.batch_alter_table("attendee_token", schema=None, table_kwargs=KEEP_AUTOINCREMENT) as b:
        b.add_column(sa.Column("channel", String(length=8), nullable=False, server_default="card"))
    with op.batch_alter_table("attendee_token", schema=None, table_kwargs=KEEP_AUTOINCREMENT) as b:
        b.alter_column("channel", server_default=None)
    with op.batch_alter_table("attendee", schema=None, table_kwargs=KEEP_AUTOINCREMENT) as b:
        b.add_column(sa.Column("rsvp", String(length=8), nullable=False, server_default=""))
        b.add_column(sa.Column("rsvp_at", UtcDateTime(), nullable=True))
    with op.batch_alter_table("attendee", schema=None, table_kwargs=KEEP_AUTOINCREMENT) as b:
        b.alter_column("rsvp", server_default=None)


def downgrade() -> None:
    with op.batch_alter_table("attendee", schema=None, table_kwargs=KEEP_AUTOINCREMENT) as b:
        b.drop_column("rsvp_at")
        b.drop_column("rsvp")
    with op.batch_alter_table("attendee_token", schema=None, table_kwargs=KEEP_AUTOINCREMENT) as b:
        b.drop_column("channel")
    op.drop_table("sms_reply")
    op.drop_table("sms_template")
    op.drop_table("sms_message")
