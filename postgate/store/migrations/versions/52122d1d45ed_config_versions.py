"""config versions

The version of the rule set in force, so that its change is audited once (``config:rules``).
The row exists from the start, so processes only ever update it.

Revision ID: 52122d1d45ed
Revises: e063dd3e57fe
Create Date: 2026-11-30 09:18:15.425415
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import postgate.store.types

revision: str = "52122d1d45ed"
down_revision: str | None = "e063dd3e57fe"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    table = op.create_table(
        "config_versions",
        sa.Column("name", sa.String(length=32), nullable=False),
        sa.Column("version", sa.String(length=64), nullable=False),
        sa.Column("changed_at", postgate.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("name"),
    )
    op.bulk_insert(table, [{"name": "rules", "version": "", "changed_at": None}])


def downgrade() -> None:
    op.drop_table("config_versions")
