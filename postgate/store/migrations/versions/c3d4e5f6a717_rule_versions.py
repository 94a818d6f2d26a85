"""rule versions: the rules and the catalogue kept in the store, each change a version

Revision ID: c3d4e5f6a717
Revises: c14a0a770001
Create Date: 2026-11-30 17:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import postgate.store.types

revision: str = "c3d4e5f6a717"
down_revision: str | None = "c14a0a770001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC_TIME = postgate.store.types.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "rule_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("rules", sa.Text(), nullable=False),
        sa.Column("catalog", sa.Text(), nullable=True),
        sa.Column("version", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("base_id", postgate.store.types.StoreInteger(), nullable=True),
        sa.Column("rollback_of", postgate.store.types.StoreInteger(), nullable=True),
        sa.Column("loosening", sa.JSON(), nullable=False),
        sa.Column("note", sa.String(length=500), nullable=False),
        sa.Column("author", sa.String(length=64), nullable=False),
        sa.Column("created_at", UTC_TIME, nullable=False),
        sa.Column("decided_by", sa.String(length=64), nullable=True),
        sa.Column("decided_at", UTC_TIME, nullable=True),
        sa.Column("applied_at", UTC_TIME, nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("rule_versions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_rule_versions_status"), ["status"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_rule_versions_applied_at"), ["applied_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("rule_versions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_rule_versions_applied_at"))
        batch_op.drop_index(batch_op.f("ix_rule_versions_status"))
    op.drop_table("rule_versions")
