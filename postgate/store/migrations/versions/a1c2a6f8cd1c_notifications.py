"""notifications: channels, preferences, the in-app list and the outbox

``notify_channels``: Apprise URLs (encrypted) of people and of the organisation;
``notify_preferences``: each person's language and e-mail address (encrypted);
``notifications``: the in-app list; ``notify_outbox``: one row per message and channel,
written in the event's transaction and claimed by the worker that sends it.

Revision ID: a1c2a6f8cd1c
Revises: a13e0d1a0001
Create Date: 2026-11-30 15:51:09.254414
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import postgate.store.types

revision: str = "a1c2a6f8cd1c"
down_revision: str | None = "a13e0d1a0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "notifications",
        sa.Column("id", postgate.store.types.StoreInteger(), nullable=False),
        sa.Column("user_id", postgate.store.types.StoreInteger(), nullable=False),
        sa.Column("kind", sa.String(length=48), nullable=False),
        sa.Column("params", sa.JSON(), nullable=False),
        sa.Column("audit_seq", postgate.store.types.StoreInteger(), nullable=True),
        sa.Column("created_at", postgate.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("read_at", postgate.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.create_index("ix_notifications_user_read", ["user_id", "read_at"], unique=False)

    op.create_table(
        "notify_channels",
        sa.Column("id", postgate.store.types.StoreInteger(), nullable=False),
        sa.Column("user_id", postgate.store.types.StoreInteger(), nullable=True),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("url_enc", sa.Text(), nullable=False),
        sa.Column("audiences", sa.JSON(), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("created_at", postgate.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("notify_channels", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_notify_channels_user_id"), ["user_id"], unique=False)

    op.create_table(
        "notify_outbox",
        sa.Column("id", postgate.store.types.StoreInteger(), nullable=False),
        sa.Column("user_id", postgate.store.types.StoreInteger(), nullable=True),
        sa.Column("channel", sa.String(length=80), nullable=False),
        sa.Column("kind", sa.String(length=48), nullable=False),
        sa.Column("params", sa.JSON(), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("audit_seq", postgate.store.types.StoreInteger(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("due_at", postgate.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("attempts", postgate.store.types.StoreInteger(), nullable=False),
        sa.Column("claim_token", sa.String(length=64), nullable=True),
        sa.Column("claimed_at", postgate.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("sent_at", postgate.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=False),
        sa.Column("created_at", postgate.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("notify_outbox", schema=None) as batch_op:
        batch_op.create_index("ix_notify_outbox_status_due", ["status", "due_at"], unique=False)

    op.create_table(
        "notify_preferences",
        sa.Column("user_id", postgate.store.types.StoreInteger(), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("email_enc", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("user_id"),
    )


def downgrade() -> None:
    op.drop_table("notify_preferences")
    with op.batch_alter_table("notify_outbox", schema=None) as batch_op:
        batch_op.drop_index("ix_notify_outbox_status_due")

    op.drop_table("notify_outbox")
    with op.batch_alter_table("notify_channels", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_notify_channels_user_id"))

    op.drop_table("notify_channels")
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.drop_index("ix_notifications_user_read")

    op.drop_table("notifications")
