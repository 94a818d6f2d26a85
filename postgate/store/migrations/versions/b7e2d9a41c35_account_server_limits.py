"""account server limits

The limits a Mastodon-API server states in ``GET /api/v2/instance`` (its character limit,
characters per URL, media count), read when the account is connected and daily after.

Revision ID: b7e2d9a41c35
Revises: 8d188952cec0
Create Date: 2026-11-30 12:50:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import postgate.store.types

revision: str = "b7e2d9a41c35"
down_revision: str | None = "8d188952cec0"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("server_limits", sa.JSON(), nullable=True))
        batch_op.add_column(
            sa.Column(
                "server_limits_at",
                postgate.store.types.UTCDateTime(timezone=True),
                nullable=True,
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.drop_column("server_limits_at")
        batch_op.drop_column("server_limits")
