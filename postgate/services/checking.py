"""Running the content rules for a post: at submission, on edit, and again at publish time.

The rule set is loaded once per process and reloaded when its files change, so the worker
always checks against the current configuration (invariant 4).
"""

from __future__ import annotations

import os
import threading
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from postgate.errors import SettingsError
from postgate.runtime import Runtime
from postgate.services.freezes import is_frozen
from postgate.store.models import Account, Post
from postgate.store.types import utcnow
from rules import Context, Draft, Evaluation, RuleConfigError, RuleSet, load_ruleset

_lock = threading.Lock()
_cache: dict[tuple[str, str | None], tuple[tuple[float, ...], RuleSet]] = {}


def _stamp(*paths: object) -> tuple[float, ...]:
    return tuple(os.stat(p).st_mtime_ns if p and os.path.exists(str(p)) else 0 for p in paths)


def current_ruleset(rt: Runtime) -> RuleSet:
    rules_path, catalog_path = rt.settings.rules_path, rt.settings.catalog_path
    key = (str(rules_path), str(catalog_path) if catalog_path else None)
    stamp = _stamp(rules_path, catalog_path)
    with _lock:
        cached = _cache.get(key)
        if cached is None or cached[0] != stamp:
            try:
                ruleset = load_ruleset(rules_path, catalog_path)
            except RuleConfigError as exc:
                raise SettingsError("rules configuration: {detail}", detail=str(exc)) from None
            cached = _cache[key] = (stamp, ruleset)
        return cached[1]


def recent_texts(
    rt: Runtime, db: Session, account: Account, exclude: int | None
) -> tuple[str, ...]:
    since = utcnow() - timedelta(days=rt.settings.duplicate_days)
    query = select(Post.text).where(
        Post.account_id == account.id, Post.status == "published", Post.published_at >= since
    )
    if exclude is not None:
        query = query.where(Post.id != exclude)
    return tuple(db.scalars(query.order_by(Post.published_at.desc()).limit(200)))


def evaluate(
    rt: Runtime,
    db: Session,
    account: Account,
    text: str,
    scheduled_at: datetime | None,
    *,
    crisis_statement: bool = False,
    exclude_post: int | None = None,
    now: datetime | None = None,
) -> Evaluation:
    draft = Draft(
        text=text,
        account=account.name,
        platform=account.platform,
        scheduled_at=scheduled_at,
        crisis_statement=crisis_statement,
    )
    context = Context(
        now=now or utcnow(),
        timezone=account.timezone,
        windows=tuple(account.windows or ()),
        blackout_dates=tuple(date.fromisoformat(d) for d in account.blackout_dates or ()),
        frozen=is_frozen(db, account.id),
        recent_posts=recent_texts(rt, db, account, exclude_post),
    )
    return current_ruleset(rt).evaluate(draft, context)
