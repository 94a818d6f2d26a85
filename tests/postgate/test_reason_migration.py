"""The migration that moves machine state out of ``posts.status_reason`` converts a store
holding data written by the schema before it, on SQLite and PostgreSQL, and back.

Before it, a claim kept after an unknown outcome ended its reason with a note, and an account
that could not be read back added another inside the text; the code parsed both. After it the
state is in ``outcome_unknown`` and ``unresolved_reason``, the reason keeps what happened,
and the text people read (``Post.status_reason``) is rendered exactly as before.
"""

from __future__ import annotations

from alembic import command
from alembic.script import ScriptDirectory
from sqlalchemy import text

from postgate.states import READ_BACK_NOTE, UNRESOLVED_NOTE
from postgate.store.migrate import alembic_config
from postgate.store.models import Account, Post, User

REVISION = "8d188952cec0"
HEARD = "attempt 1: sandbox answered 200 to the publish without a status id"

# (old status_reason, reason, outcome_unknown, unresolved_reason)
ROWS = [
    (HEARD + READ_BACK_NOTE, HEARD, True, ""),
    (
        f"{HEARD}{READ_BACK_NOTE}; {UNRESOLVED_NOTE}: timed out; still trying",
        HEARD,
        True,
        "timed out",
    ),
    (f"{UNRESOLVED_NOTE}: unexpected KeyError; still trying", "", False, "unexpected KeyError"),
    (
        "blocked by the rules at publish time (terms)",
        "blocked by the rules at publish time (terms)",
        False,
        "",
    ),
    ("50% off_now: cancelled by alice", "50% off_now: cancelled by alice", False, ""),
    ("", "", False, ""),
]


def _migrate(rt, action, revision: str) -> None:
    config = alembic_config(rt.store)
    with rt.store.engine.connect() as connection:
        config.attributes["connection"] = connection
        action(config, revision)
        connection.commit()


def _previous_revision(rt) -> str:
    script = ScriptDirectory.from_config(alembic_config(rt.store)).get_revision(REVISION)
    assert script is not None and isinstance(script.down_revision, str)
    return script.down_revision


def _old_reasons(rt) -> list[str]:
    with rt.store.session() as db:
        return list(db.scalars(text("SELECT status_reason FROM posts ORDER BY id")))


def test_old_reasons_become_state_columns_and_render_as_before(any_rt):
    with any_rt.store.transaction() as db:
        author = User(username="alice", password_hash="x", roles="author")
        account = Account(name="acme", platform="sandbox")
        db.add_all([author, account])
        db.flush()
        ids = author.id, account.id
    _migrate(any_rt, command.downgrade, _previous_revision(any_rt))
    with any_rt.store.transaction() as db:
        for old, *_ in ROWS:
            db.execute(
                text(
                    "INSERT INTO posts (account_id, author_id, text, links, media, status,"
                    " status_reason, content_hash, revision, findings, rules_version,"
                    " crisis_statement, attempts, created_at, updated_at) VALUES (:a, :u, 't',"
                    " '[]', '[]', 'publishing', :r, 'h', 1, '[]', '', :f, 1, :now, :now)"
                ),
                {"a": ids[1], "u": ids[0], "r": old, "f": False, "now": "2026-11-30 12:00:00"},
            )

        first = db.execute(text("SELECT min(id) FROM posts")).scalar()
        db.execute(  # a row pointing at a post: SQLite's batch mode copies the table under it
            text(
                "INSERT INTO approvals (post_id, reviewer_id, content_hash, acknowledged, at,"
                " void_reason) VALUES (:p, :u, 'h', '[]', :now, '')"
            ),
            {"p": first, "u": ids[0], "now": "2026-11-30 12:00:00"},
        )

    _migrate(any_rt, command.upgrade, "head")
    with any_rt.store.session() as db:
        posts = db.query(Post).order_by(Post.id).all()
        found = [(p.status_reason, p.reason, p.outcome_unknown, p.unresolved_reason) for p in posts]
    assert found == ROWS

    _migrate(any_rt, command.downgrade, _previous_revision(any_rt))
    assert _old_reasons(any_rt) == [old for old, *_ in ROWS]
    _migrate(any_rt, command.upgrade, "head")
    with any_rt.store.session() as db:
        assert db.execute(text("SELECT count(*) FROM approvals")).scalar() == 1
        if db.get_bind().dialect.name == "sqlite":  # migrating turned them off for a while
            assert db.execute(text("PRAGMA foreign_keys")).scalar() == 1
