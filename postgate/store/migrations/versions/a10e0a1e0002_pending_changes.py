"""pending changes and cooling-off

Changes to someone's access that wait for a second admin, and the time before which a user
made reviewer (or reset) by a lone admin cannot approve (issue 10: separation of duties).

Revision ID: a10e0a1e0002
Revises: a10e0a1e0001
Create Date: 2026-11-30 12:50:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import postgate.store.types

revision: str = "a10e0a1e0002"
down_revision: str | None = "a10e0a1e0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "pending_changes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("roles", sa.String(length=64), nullable=True),
        sa.Column("requested_by", sa.String(length=64), nullable=False),
        sa.Column("requested_at", postgate.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("decided_by", sa.String(length=64), nullable=True),
        sa.Column("decided_at", postgate.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_pending_changes_user_id", "pending_changes", ["user_id"])
    # Plain ALTER TABLE (SQLite 3.35 and later add and drop a column in place): batch mode
    # would copy ``users``, which every other table references.
    op.add_column(
        "users",
        sa.Column("approve_after", postgate.store.types.UTCDateTime(timezone=True), nullable=True),
    )


def downgrade() -> None:
    op.drop_column("users", "approve_after")
    op.drop_index("ix_pending_changes_user_id", table_name="pending_changes")
    op.drop_table("pending_changes")
