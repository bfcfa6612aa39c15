"""jobs: an index in the claim's order

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-07 03:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0022"
down_revision: str | None = "0021"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_job_claim", "job", ["state", sa.text("priority DESC"), "run_at", "id"])


def downgrade() -> None:
    op.drop_index("ix_job_claim", table_name="job")
