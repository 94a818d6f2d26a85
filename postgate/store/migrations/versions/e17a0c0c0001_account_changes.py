"""account changes waiting for a second person

A change of an account's posting windows or blackout dates that loosens them waits for
another admin or the security lead to approve it with 2FA (issue 17).

Revision ID: e17a0c0c0001
Revises: d17c0a11ab01
Create Date: 2026-11-30 20:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import postgate.store.types

revision: str = "e17a0c0c0001"
down_revision: str | None = "d17c0a11ab01"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "account_changes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("changes", sa.JSON(), nullable=False),
        sa.Column("widens", sa.JSON(), nullable=False),
        sa.Column("requested_by", sa.String(length=64), nullable=False),
        sa.Column("requested_at", postgate.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("decided_by", sa.String(length=64), nullable=True),
        sa.Column("decided_at", postgate.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["account_id"], ["accounts.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_account_changes_account_id", "account_changes", ["account_id"])


def downgrade() -> None:
    op.drop_index("ix_account_changes_account_id", table_name="account_changes")
    op.drop_table("account_changes")
