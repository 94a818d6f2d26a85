"""posts recent index

Every submission's rules read the account's posts published within ``duplicate_days``
(``postgate.services.checking``). With only ``account_id`` indexed, that read walked every
post the account ever had: a submission's cost grew with the account's history. An index
on the account, the status and the publication time keeps it a range scan.

Revision ID: a19a0c0c0001
Revises: f18a0c0c0001
Create Date: 2026-12-02 03:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "a19a0c0c0001"
down_revision: str | None = "f18a0c0c0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_posts_account_status_published",
        "posts",
        ["account_id", "status", "published_at"],
        if_not_exists=True,
    )


def downgrade() -> None:
    op.drop_index("ix_posts_account_status_published", table_name="posts", if_exists=True)
