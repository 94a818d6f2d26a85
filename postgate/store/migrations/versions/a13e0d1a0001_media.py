"""media: uploaded images and their bytes

``media``: one row per upload (type, size, the text read in it); ``media_blobs``: the bytes,
by SHA-256, for the default media backend (the store itself); ``post_revisions.media``: each
revision's images, for the diff; ``posts.media_uploads``: images a publish attempt already
uploaded to the platform, which a retry reuses. ``posts.media`` already exists (a JSON list, now
``[{"id", "sha256", "alt"}]``).

Revision ID: a13e0d1a0001
Revises: a10e0a1e0002
Create Date: 2026-11-30 12:45:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import postgate.store.types

revision: str = "a13e0d1a0001"
down_revision: str | None = "a10e0a1e0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "media",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("mime", sa.String(length=32), nullable=False),
        sa.Column("width", sa.Integer(), nullable=False),
        sa.Column("height", sa.Integer(), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("uploaded_by_id", sa.Integer(), nullable=False),
        sa.Column("ocr_status", sa.String(length=16), nullable=False),
        sa.Column("ocr_text", sa.Text(), nullable=False),
        sa.Column("created_at", postgate.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["uploaded_by_id"], ["users.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("media", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_media_sha256"), ["sha256"], unique=False)
        batch_op.create_index(batch_op.f("ix_media_uploaded_by_id"), ["uploaded_by_id"])
    op.create_table(
        "media_blobs",
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("sha256"),
    )
    with op.batch_alter_table("post_revisions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("media", sa.JSON(), nullable=True))
    with op.batch_alter_table("posts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("media_uploads", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("posts", schema=None) as batch_op:
        batch_op.drop_column("media_uploads")
    with op.batch_alter_table("post_revisions", schema=None) as batch_op:
        batch_op.drop_column("media")
    op.drop_table("media_blobs")
    with op.batch_alter_table("media", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_media_uploaded_by_id"))
        batch_op.drop_index(batch_op.f("ix_media_sha256"))
    op.drop_table("media")
