"""audit head signature

The head of the audit chain gets an HMAC of its sequence number and hash; ``postgate init``
signs an existing head once the chain leading to it verifies.

Revision ID: e063dd3e57fe
Revises: 0fc940eda4a3
Create Date: 2026-11-30 09:08:45.703900
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "e063dd3e57fe"
down_revision: str | None = "0fc940eda4a3"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("audit_head", schema=None) as batch_op:
        batch_op.add_column(sa.Column("sig", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("audit_head", schema=None) as batch_op:
        batch_op.drop_column("sig")
