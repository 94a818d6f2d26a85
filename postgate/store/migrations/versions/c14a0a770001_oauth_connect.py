"""oauth connect

The OAuth consents in progress (``oauth_flows``: state hash, session, PKCE verifier and app
secret encrypted, single use, short-lived), and on each account when its token ends (the
credentials' ``expires_at``, queried by the refresh job). Issue 14: connect with the
platform's consent screen, refresh ahead of expiry, ``disconnected`` when a refresh fails.

Revision ID: c14a0a770001
Revises: a16e0a1e0001
Create Date: 2026-11-30 16:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import postgate.store.types

revision: str = "c14a0a770001"
down_revision: str | None = "a16e0a1e0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "oauth_flows",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("state_hash", sa.String(length=64), nullable=False),
        sa.Column("platform", sa.String(length=32), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("account_name", sa.String(length=64), nullable=False),
        sa.Column("reconnect", sa.Boolean(), nullable=False),
        sa.Column("base_url", sa.String(length=255), nullable=True),
        sa.Column("redirect_uri", sa.String(length=500), nullable=False),
        sa.Column("request", sa.JSON(), nullable=False),
        sa.Column("secrets_enc", sa.Text(), nullable=False),
        sa.Column("choices", sa.JSON(), nullable=True),
        sa.Column("created_at", postgate.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", postgate.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("used_at", postgate.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("finished_at", postgate.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["session_id"], ["auth_tokens.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("state_hash"),
    )
    op.create_index("ix_oauth_flows_user_id", "oauth_flows", ["user_id"])
    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "token_expires_at", postgate.store.types.UTCDateTime(timezone=True), nullable=True
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.drop_column("token_expires_at")
    op.drop_index("ix_oauth_flows_user_id", table_name="oauth_flows")
    op.drop_table("oauth_flows")
