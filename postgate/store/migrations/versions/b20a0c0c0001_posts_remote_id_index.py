"""posts remote id index

The watch judges every post a poll lists by its platform id on the account
(``postgate.services.watch.judge_post``), and takedowns and their previews read the listed
posts the same way. With only ``account_id`` indexed, each of those reads walked every post
the account ever had: one poll of 40 posts took 0.84 s after 100,000 published posts
(``benchmarks/bench_history.py``). An index on the account and the platform's id makes each
an index lookup.

Revision ID: b20a0c0c0001
Revises: a19a0c0c0001
Create Date: 2026-12-02 09:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "b20a0c0c0001"
down_revision: str | None = "a19a0c0c0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_posts_account_remote_id", "posts", ["account_id", "remote_id"], if_not_exists=True
    )


def downgrade() -> None:
    op.drop_index("ix_posts_account_remote_id", table_name="posts", if_exists=True)
