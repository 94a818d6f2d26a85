"""enrolment links

Single-use links through which a person sets their own password and authenticator
(issue 10: no admin ever sees another person's password or TOTP secret).

Revision ID: a10e0a1e0001
Revises: 9e4f5a6b7c8d
Create Date: 2026-11-30 12:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import postgate.store.types

revision: str = "a10e0a1e0001"
down_revision: str | None = "9e4f5a6b7c8d"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "enrolment_links",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("purpose", sa.String(length=16), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("created_at", postgate.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", postgate.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("used_at", postgate.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("failures", postgate.store.types.StoreInteger(), nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=True),
        sa.Column("totp_secret_enc", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("token_hash"),
    )
    op.create_index("ix_enrolment_links_user_id", "enrolment_links", ["user_id"])


def downgrade() -> None:
    op.drop_index("ix_enrolment_links_user_id", table_name="enrolment_links")
    op.drop_table("enrolment_links")
