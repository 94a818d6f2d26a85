"""pending changes lapse

A change waiting for a second person (an access change, an account's loosened settings)
carries the moment it lapses unanswered (``postgate.services.lapsing``). Requests made
before this revision have none, and do not lapse.

Revision ID: f18a0c0c0001
Revises: e17a0c0c0001
Create Date: 2026-12-01 20:15:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import postgate.store.types

revision: str = "f18a0c0c0001"
down_revision: str | None = "e17a0c0c0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("pending_changes", "account_changes")


def upgrade() -> None:
    # Plain ALTER TABLE ADD COLUMN (a nullable column): no table copy on SQLite.
    for table in TABLES:
        op.add_column(
            table,
            sa.Column("expires_at", postgate.store.types.UTCDateTime(timezone=True), nullable=True),
        )


def downgrade() -> None:
    for table in TABLES:
        op.drop_column(table, "expires_at")
