"""watch: alerts, each account's watch state, the automatic freeze on alert

``watch_alerts``: what the watch saw that Postgate did not do, with its evidence;
``watch_states``: per account, what the watch has seen and the profile it knows;
``accounts.watch_auto_freeze``: freeze the account on an alert (off by default).

Revision ID: a15e0a7c0001
Revises: a1c2a6f8cd1c
Create Date: 2026-11-30 16:05:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import postgate.store.types

revision: str = "a15e0a7c0001"
down_revision: str | None = "a1c2a6f8cd1c"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC_TIME = postgate.store.types.UTCDateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("watch_auto_freeze", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
    op.create_table(
        "watch_alerts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("remote_id", sa.String(length=255), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("post_id", sa.Integer(), nullable=True),
        sa.Column("url", sa.String(length=512), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("visibility", sa.String(length=32), nullable=True),
        sa.Column("at", UTC_TIME, nullable=False),
        sa.Column("detected_at", UTC_TIME, nullable=False),
        sa.Column("via", sa.String(length=16), nullable=False),
        sa.Column("evidence", sa.JSON(), nullable=False),
        sa.Column("froze", sa.Boolean(), nullable=False),
        sa.Column("acknowledged_at", UTC_TIME, nullable=True),
        sa.Column("acknowledged_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["account_id"], ["accounts.id"]),
        sa.ForeignKeyConstraint(["acknowledged_by_id"], ["users.id"]),
        sa.ForeignKeyConstraint(["post_id"], ["posts.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint(
            "account_id", "kind", "remote_id", "fingerprint", name="uq_watch_alert"
        ),
    )
    with op.batch_alter_table("watch_alerts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_watch_alerts_account_id"), ["account_id"])
    op.create_table(
        "watch_states",
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("started_at", UTC_TIME, nullable=False),
        sa.Column("last_seen_id", sa.String(length=255), nullable=True),
        sa.Column("last_seen_at", UTC_TIME, nullable=True),
        sa.Column("profile", sa.JSON(), nullable=True),
        sa.Column("profile_hash", sa.String(length=64), nullable=False),
        sa.Column("ours_live", sa.JSON(), nullable=True),
        sa.Column("checked_at", UTC_TIME, nullable=True),
        sa.Column("mode", sa.String(length=16), nullable=False),
        sa.Column("problem", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["account_id"], ["accounts.id"]),
        sa.PrimaryKeyConstraint("account_id"),
    )


def downgrade() -> None:
    op.drop_table("watch_states")
    with op.batch_alter_table("watch_alerts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_watch_alerts_account_id"))
    op.drop_table("watch_alerts")
    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.drop_column("watch_auto_freeze")
