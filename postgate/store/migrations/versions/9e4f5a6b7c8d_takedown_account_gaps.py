"""takedown account gaps: what the check after a takedown's deletions could not verify

Revision ID: 9e4f5a6b7c8d
Revises: 8d2e3f4a5b6c
Create Date: 2026-11-30 13:10:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "9e4f5a6b7c8d"
down_revision: str | None = "8d2e3f4a5b6c"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("takedown_accounts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("gaps", sa.Text(), server_default="", nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("takedown_accounts", schema=None) as batch_op:
        batch_op.drop_column("gaps")
