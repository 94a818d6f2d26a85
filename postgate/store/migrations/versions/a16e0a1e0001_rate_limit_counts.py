"""rate limit counts kept in the store while Redis does not answer

Revision ID: a16e0a1e0001
Revises: b11d0e1a0001
Create Date: 2026-11-30 16:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "a16e0a1e0001"
down_revision: str | None = "b11d0e1a0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "rate_limit_counts",
        sa.Column("bucket", sa.String(length=255), nullable=False),
        sa.Column("count", sa.BigInteger(), nullable=False),
        sa.Column("expires_at", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("bucket"),
    )
    with op.batch_alter_table("rate_limit_counts", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_rate_limit_counts_expires_at"), ["expires_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("rate_limit_counts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_rate_limit_counts_expires_at"))
    op.drop_table("rate_limit_counts")
