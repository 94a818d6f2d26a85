""" "Try it": a proposed version of the rules and catalogue run against the posts of the last
30 days, nothing saved. Each post's text is checked as if submitted now under the proposed
rules, in its account's time zone, windows and blackout dates; freezes, near-duplicates and
the text read in images are left out (they depend on the moment, not on the rules)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from postgate.runtime import Runtime
from postgate.services import rule_versions
from postgate.services.server_limits import account_limits
from postgate.states import PostStatus
from postgate.store.models import Post
from postgate.store.types import utcnow
from rules import Context, Draft

DAYS = 30
LIMIT = 5000  # posts read at most, newest first
SHOWN = 200  # posts listed at most in the answer (the counts cover them all)


def try_rules(
    rt: Runtime, db: Session, *, rules: str | None = None, catalog: str | None = None
) -> dict[str, Any]:
    """``{"would_block", "would_flag", "posts": [...]}``: how many of the last 30 days' posts
    the proposed rules (the version in force where not given) would block, how many they
    would only flag, and those posts with their findings and their status today."""
    row = rule_versions.in_force(db)
    base_rules, base_catalog = (row.rules, row.catalog) if row else rule_versions.files(rt)
    ruleset = rule_versions.validate(
        rt, base_rules if rules is None else rules, base_catalog if catalog is None else catalog
    )
    now = utcnow()
    posts = db.scalars(
        select(Post)
        .options(joinedload(Post.account), joinedload(Post.author))
        .where(Post.created_at >= now - timedelta(days=DAYS))
        .where(Post.status != PostStatus.DRAFT)  # a draft is its author's alone
        .order_by(Post.created_at.desc(), Post.id.desc())
        .limit(LIMIT)
    ).unique()
    blocked = flagged = 0
    shown: list[dict[str, Any]] = []
    for post in posts:
        account = post.account
        draft = Draft(
            text=post.text,
            account=account.name,
            platform=account.platform,
            scheduled_at=post.scheduled_at,
            crisis_statement=post.crisis_statement,
        )
        context = Context(
            now=now,
            timezone=account.timezone,
            windows=tuple(account.windows or ()),
            blackout_dates=tuple(date.fromisoformat(d) for d in account.blackout_dates or ()),
            frozen=False,
            recent_posts=(),
            limits=account_limits(account),
        )
        result = ruleset.evaluate(draft, context)
        if not result.findings:
            continue
        if result.blocked:
            blocked += 1
        else:
            flagged += 1
        if len(shown) < SHOWN:
            shown.append(
                {
                    "id": post.id,
                    "account": account.name,
                    "author": post.author.username,
                    "status": str(post.status),
                    "text": post.text,
                    "would_block": result.blocked,
                    "findings": [f.to_dict() for f in result.findings],
                }
            )
    return {
        "version": ruleset.version,
        "would_block": blocked,
        "would_flag": flagged,
        "posts": shown,
    }
