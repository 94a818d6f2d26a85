"""takedown_accounts.deletion_pace: the platform's deletion limit as a takedown observed it

``{"resets_at", "per_window", "window_seconds"}``: when the account's current deletion window
ends (the platform's ``X-RateLimit-Reset`` on a refused delete), how many deletions a window
allowed and how long a window lasts, as seen; the estimate of when the waiting posts will be
deleted reads it (``postgate.services.takedown_view``). Null until a delete is refused.

Revision ID: b11d0e1a0001
Revises: a15e0a7c0001
Create Date: 2026-11-30 16:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "b11d0e1a0001"
down_revision: str | None = "a15e0a7c0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("takedown_accounts") as batch:
        batch.add_column(sa.Column("deletion_pace", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("takedown_accounts") as batch:
        batch.drop_column("deletion_pace")
