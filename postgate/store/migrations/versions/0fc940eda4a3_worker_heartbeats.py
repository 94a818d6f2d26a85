"""worker heartbeats

Revision ID: 0fc940eda4a3
Revises: 150f0745cb84
Create Date: 2026-11-30 09:08:45.970892
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import postgate.store.types

revision: str = "0fc940eda4a3"
down_revision: str | None = "150f0745cb84"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "worker_heartbeats",
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("host", sa.String(length=255), nullable=False),
        sa.Column("pid", sa.Integer(), nullable=False),
        sa.Column("version", sa.String(length=32), nullable=False),
        sa.Column("started_at", postgate.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("beat_at", postgate.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("stopped_at", postgate.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("name"),
    )
    with op.batch_alter_table("worker_heartbeats", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_worker_heartbeats_host"), ["host"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("worker_heartbeats", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_worker_heartbeats_host"))
    op.drop_table("worker_heartbeats")
