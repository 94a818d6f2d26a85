"""Running the content rules for a post: at submission, on edit, and again at publish time.

The rule set is loaded once per process and reloaded when its files change, so the worker
always checks against the current configuration (invariant 4).
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Sequence
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from postgate.errors import SettingsError
from postgate.platforms.registry import PLATFORMS
from postgate.runtime import Runtime
from postgate.services import rule_versions
from postgate.services.freezes import is_frozen
from postgate.services.rules_version import note_rules_version
from postgate.services.server_limits import account_limits
from postgate.states import PostStatus
from postgate.store.models import Account, Post
from postgate.store.types import utcnow
from rules import (
    Context,
    Draft,
    DraftImage,
    Evaluation,
    PlatformLimits,
    RuleConfigError,
    RuleSet,
    load_ruleset,
)

log = logging.getLogger("postgate.rules")
_lock = threading.Lock()
_cache: dict[tuple[str, str | None], tuple[tuple[float, ...], RuleSet]] = {}


def _stamp(*paths: str | os.PathLike[str] | None) -> tuple[float, ...]:
    return tuple(os.stat(p).st_mtime_ns if p and os.path.exists(p) else 0 for p in paths)


def current_ruleset(rt: Runtime, db: Session | None = None) -> RuleSet:
    """The rules in force: the store's current version (:mod:`postgate.services.rule_versions`),
    cached by its id and application time, or, until a version is stored, the files as they
    are now (reloaded when any file they were read from changes: the rules, the catalogue, a
    terms file)."""
    if db is None:
        with rt.store.session() as own:
            return _in_force(rt, own)
    return _in_force(rt, db)


def _in_force(rt: Runtime, db: Session) -> RuleSet:
    stamp = rule_versions.in_force_stamp(db)
    if stamp is None:
        return _from_files(rt)
    version_id, applied_at = stamp
    # The database's address, not the Store object's: a new store can reuse a freed one's
    # memory address and restart the version ids, and would get the old store's rules.
    key = (f"store:{rt.store.url}:{version_id}:{applied_at}", None)
    with _lock:
        cached = _cache.get(key)
        if cached is None or cached[0] != _stamp(*cached[1].sources):
            row = rule_versions.find(db, version_id)
            try:
                ruleset = rule_versions.ruleset_of(rt, row.rules, row.catalog)
            except RuleConfigError as exc:
                raise SettingsError("rules configuration: {detail}", detail=str(exc)) from exc
            cached = _cache[key] = (_stamp(*ruleset.sources), ruleset)
        return cached[1]


def _from_files(rt: Runtime) -> RuleSet:
    rules_path, catalog_path = rt.settings.rules_path, rt.settings.catalog_path
    key = (str(rules_path), str(catalog_path) if catalog_path else None)
    with _lock:
        cached = _cache.get(key)
        known = cached[1].sources if cached else ()
        if cached is None or cached[0] != _stamp(rules_path, catalog_path, *known):
            try:
                ruleset = load_ruleset(rules_path, catalog_path)
            except RuleConfigError as exc:
                raise SettingsError("rules configuration: {detail}", detail=str(exc)) from exc
            stamp = _stamp(rules_path, catalog_path, *ruleset.sources)
            cached = _cache[key] = (stamp, ruleset)
        return cached[1]


def platform_limits(platform: str) -> PlatformLimits | None:
    """How ``platform`` measures a post, from the registry (None for one it does not know)."""
    spec = PLATFORMS.get(platform)
    return spec.limits if spec is not None else None


def recent_texts(
    rt: Runtime, db: Session, account: Account, exclude: int | None
) -> tuple[str, ...]:
    since = utcnow() - timedelta(days=rt.settings.duplicate_days)
    query = select(Post.text).where(
        Post.account_id == account.id,
        Post.status == PostStatus.PUBLISHED,
        Post.published_at >= since,
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
    images: Sequence[DraftImage] = (),
    frozen: bool | None = None,
) -> Evaluation:
    """The rules' findings for this text (and these images, with the text read in them).
    ``frozen``: whether the account is frozen, when the caller has just read it in ``db``."""
    draft = Draft(
        text=text,
        account=account.name,
        platform=account.platform,
        scheduled_at=scheduled_at,
        crisis_statement=crisis_statement,
        images=tuple(images),
    )
    context = Context(
        now=now or utcnow(),
        timezone=account.timezone,
        windows=tuple(account.windows or ()),
        blackout_dates=tuple(date.fromisoformat(d) for d in account.blackout_dates or ()),
        frozen=is_frozen(db, account.id) if frozen is None else frozen,
        recent_posts=recent_texts(rt, db, account, exclude_post),
        limits=account_limits(account),
    )
    ruleset = current_ruleset(rt, db)
    note_rules_version(rt, ruleset, db)
    return ruleset.evaluate(draft, context)


def check_rules_version(rt: Runtime) -> None:
    """The periodic look (workers): record the version of the rule files as they are now."""
    try:
        note_rules_version(rt, current_ruleset(rt))
    except SettingsError as exc:  # rules that do not load: publishing says so on its own
        log.warning("rules not loaded: %s", exc.message)
