"""takedown scope: which of Postgate's posts a takedown deletes, which posts it never touches

Revision ID: 8d2e3f4a5b6c
Revises: 7c1d2e3f4a5b
Create Date: 2026-11-30 13:00:00.000000

NULL (takedowns from before) reads as the old behaviour: every Postgate post in the window.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "8d2e3f4a5b6c"
down_revision: str | None = "7c1d2e3f4a5b"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("takedowns", schema=None) as batch_op:
        batch_op.add_column(sa.Column("scope", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("takedowns", schema=None) as batch_op:
        batch_op.drop_column("scope")
