"""post reason state columns

Machine state leaves the text of ``posts.status_reason``: a claim kept after an unknown
outcome was marked by a suffix, and an account that could not be read back by a note inside
the text, which the code parsed. They become ``outcome_unknown`` and ``unresolved_reason``;
``status_reason`` keeps only what happened, and the full text is rendered from the three
(``postgate.states.reason_text``). Existing rows are converted both ways. The notes are
spelled out here, not imported, so this revision keeps reading the rows it was written for.

Revision ID: 8d188952cec0
Revises: 52122d1d45ed
Create Date: 2026-11-30 13:10:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "8d188952cec0"
down_revision: str | None = "52122d1d45ed"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

READ_BACK_NOTE = " (outcome unknown: the account is read back before any retry)"
UNRESOLVED_NOTE = "the account cannot be read back to settle the outcome"
STILL_TRYING = "; still trying"

posts = sa.table(
    "posts",
    sa.column("id", sa.Integer),
    sa.column("status_reason", sa.Text),
    sa.column("outcome_unknown", sa.Boolean),
    sa.column("unresolved_reason", sa.Text),
)


def split_reason(text: str) -> tuple[str, bool, str]:
    """An old ``status_reason`` as (what happened, outcome unknown, why unresolved)."""
    heard, unresolved = text, ""
    if UNRESOLVED_NOTE in text:
        heard, note = text.split(UNRESOLVED_NOTE, 1)
        heard = heard.rstrip("; ")
        unresolved = note.removeprefix(": ").removesuffix(STILL_TRYING) or "unknown"
    unknown = heard.endswith(READ_BACK_NOTE)
    return heard.removesuffix(READ_BACK_NOTE), unknown, unresolved


def join_reason(reason: str, unknown: bool, unresolved: str) -> str:
    """The inverse of :func:`split_reason`: the text as the old code wrote it."""
    text = reason + READ_BACK_NOTE if unknown else reason
    if not unresolved:
        return text
    note = f"{UNRESOLVED_NOTE}: {unresolved}{STILL_TRYING}"
    return (f"{text}; {note}" if text else note)[:2000]


def upgrade() -> None:
    with op.batch_alter_table("posts", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("outcome_unknown", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.add_column(
            sa.Column("unresolved_reason", sa.Text(), nullable=False, server_default="")
        )
    bind = op.get_bind()
    marked = sa.or_(
        posts.c.status_reason.contains(READ_BACK_NOTE, autoescape=True),
        posts.c.status_reason.contains(UNRESOLVED_NOTE, autoescape=True),
    )
    query = sa.select(posts.c.id, posts.c.status_reason).where(marked)
    for post_id, text in bind.execute(query).all():
        reason, unknown, unresolved = split_reason(text)
        bind.execute(
            posts.update()
            .where(posts.c.id == post_id)
            .values(status_reason=reason, outcome_unknown=unknown, unresolved_reason=unresolved)
        )


def downgrade() -> None:
    bind = op.get_bind()
    marked = sa.or_(posts.c.outcome_unknown.is_(True), posts.c.unresolved_reason != "")
    query = sa.select(
        posts.c.id, posts.c.status_reason, posts.c.outcome_unknown, posts.c.unresolved_reason
    ).where(marked)
    for post_id, reason, unknown, unresolved in bind.execute(query).all():
        bind.execute(
            posts.update()
            .where(posts.c.id == post_id)
            .values(status_reason=join_reason(reason, unknown, unresolved))
        )
    with op.batch_alter_table("posts", schema=None) as batch_op:
        batch_op.drop_column("unresolved_reason")
        batch_op.drop_column("outcome_unknown")
