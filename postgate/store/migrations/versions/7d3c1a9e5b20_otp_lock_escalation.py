"""otp lock escalation

Repeated OTP lockouts escalate (15 min, 1 h, 4 h, ...): each user remembers how many locks
in a row they had and when the latest began.

Revision ID: 7d3c1a9e5b20
Revises: b7e2d9a41c35
Create Date: 2026-11-30 12:55:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import postgate.store.types

revision: str = "7d3c1a9e5b20"
down_revision: str | None = "b7e2d9a41c35"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("otp_lockouts", sa.Integer(), nullable=False, server_default="0")
        )
        batch_op.add_column(
            sa.Column(
                "otp_locked_at", postgate.store.types.UTCDateTime(timezone=True), nullable=True
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("otp_locked_at")
        batch_op.drop_column("otp_lockouts")
