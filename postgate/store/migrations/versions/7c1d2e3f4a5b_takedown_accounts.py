"""takedown accounts: each account's window and revocation in a table of its own

Revision ID: 7c1d2e3f4a5b
Revises: 7d3c1a9e5b20
Create Date: 2026-11-30 12:45:00.000000

Until now each account's window was replayed from audit entries. Existing takedowns get one
row per account with the takedown's ``since``; a finished takedown's accounts count as
finished for it (whether their credentials were revoked stays unknown: NULL).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import postgate.store.types

revision: str = "7c1d2e3f4a5b"
down_revision: str | None = "7d3c1a9e5b20"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    table = op.create_table(
        "takedown_accounts",
        sa.Column("takedown_id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("since", postgate.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("finished", postgate.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("credentials_revoked", sa.Boolean(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["account_id"], ["accounts.id"]),
        sa.ForeignKeyConstraint(["takedown_id"], ["takedowns.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("takedown_id", "account_id"),
    )
    takedowns = sa.table(
        "takedowns",
        sa.column("id", sa.Integer()),
        sa.column("account_ids", sa.JSON()),
        sa.column("since", postgate.store.types.UTCDateTime(timezone=True)),
        sa.column("status", sa.String()),
    )
    rows = []
    for takedown in op.get_bind().execute(sa.select(takedowns)).mappings():
        finished = None if takedown["status"] == "running" else takedown["since"]
        for account_id in takedown["account_ids"] or []:
            rows.append(
                {
                    "takedown_id": takedown["id"],
                    "account_id": int(account_id),
                    "since": takedown["since"],
                    "finished": finished,
                    "credentials_revoked": None,
                    "reason": "",
                }
            )
    if rows:
        op.bulk_insert(table, rows)


def downgrade() -> None:
    op.drop_table("takedown_accounts")
