"""list indexes: keyset pages of posts and audit entries by filter

Revision ID: c4f1a7e2b917
Revises: c3d4e5f6a717
Create Date: 2026-11-30 17:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "c4f1a7e2b917"
down_revision: str | None = "c3d4e5f6a717"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEXES = (
    ("ix_posts_status_id", "posts", ["status", "id"]),
    ("ix_posts_author_id_id", "posts", ["author_id", "id"]),
    ("ix_posts_account_id_id", "posts", ["account_id", "id"]),
    ("ix_posts_created_at", "posts", ["created_at"]),
    ("ix_audit_entries_actor_seq", "audit_entries", ["actor", "seq"]),
    ("ix_audit_entries_at", "audit_entries", ["at"]),
)


def upgrade() -> None:
    for name, table, columns in INDEXES:
        op.create_index(name, table, columns)


def downgrade() -> None:
    for name, table, _ in reversed(INDEXES):
        op.drop_index(name, table_name=table)
