"""Running the content rules for a post: at submission, on edit, and again at publish time.

The rule set is loaded once per process and reloaded when its files change, so the worker
always checks against the current configuration (invariant 4).
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, Final, Literal, cast

from sqlalchemy import (
    ColumnElement,
    ScalarSelect,
    Subquery,
    Table,
    bindparam,
    exists,
    or_,
    select,
    true,
)
from sqlalchemy.orm import Session

from postgate.errors import NotFound, SettingsError
from postgate.platforms.registry import PLATFORMS
from postgate.runtime import Runtime
from postgate.services import rule_versions
from postgate.services.names import canonical_name
from postgate.services.rules_version import note_rules_version
from postgate.services.server_limits import account_limits
from postgate.states import PostStatus
from postgate.store.models import Account, Freeze, Post, RuleVersion
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


UNREAD: Final = "unread"  # current_ruleset's ``stamp`` when the caller has not read it


def current_ruleset(
    rt: Runtime,
    db: Session | None = None,
    *,
    stamp: tuple[int, str] | Literal["unread"] | None = UNREAD,
) -> RuleSet:
    """The rules in force: the store's current version (:mod:`postgate.services.rule_versions`),
    cached by its id and application time, or, until a version is stored, the files as they
    are now (reloaded when any file they were read from changes: the rules, the catalogue, a
    terms file). ``stamp``: the version in force as the caller has just read it in ``db``
    (None: no version stored yet)."""
    if db is None:
        with rt.store.session() as own:
            return _in_force(rt, own, rule_versions.in_force_stamp(own))
    return _in_force(rt, db, rule_versions.in_force_stamp(db) if isinstance(stamp, str) else stamp)


def _in_force(rt: Runtime, db: Session, stamp: tuple[int, str] | None) -> RuleSet:
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


_ACCOUNTS = cast(Table, Account.__table__)
_POSTS = cast(Table, Post.__table__)
_FREEZES = cast(Table, Freeze.__table__)
_VERSIONS = cast(Table, RuleVersion.__table__)


def _latest_applied(column: ColumnElement[Any]) -> ScalarSelect[Any]:
    return (
        select(column)
        .where(_VERSIONS.c.status == rule_versions.APPLIED)
        .order_by(_VERSIONS.c.applied_at.desc(), _VERSIONS.c.id.desc())
        .limit(1)
        .scalar_subquery()
    )


# What the rules' context reads fresh from the store for every evaluation, in one Core
# statement (compiled once): whether a freeze is in force for the account (global ones
# included; the same test as ``freezes.is_frozen``), the rules version in force, whose rule
# set is cached by its id and application time, and the account's posts published within
# ``duplicate_days`` (200 at most, newest first, besides the one being checked). The first
# three are one row, joined to the posts: a row per post, or one whose text is NULL.
def _fresh(account_id: ColumnElement[Any]) -> Subquery:
    return select(
        exists()
        .where(
            _FREEZES.c.lifted_at.is_(None),
            or_(_FREEZES.c.account_id.is_(None), _FREEZES.c.account_id == account_id),
        )
        .label("frozen"),
        _latest_applied(_VERSIONS.c.id).label("version_id"),
        _latest_applied(_VERSIONS.c.applied_at).label("applied_at"),
    ).subquery("fresh")


def _recent(account_id: ColumnElement[Any]) -> Subquery:
    return (
        select(_POSTS.c.text, _POSTS.c.published_at)
        .where(
            _POSTS.c.account_id == account_id,
            _POSTS.c.status == PostStatus.PUBLISHED.value,
            _POSTS.c.published_at >= bindparam("since"),
            _POSTS.c.id != bindparam("exclude"),
        )
        .order_by(_POSTS.c.published_at.desc())
        .limit(200)
        .subquery("recent")
    )


_FRESH, _RECENT = _fresh(bindparam("account")), _recent(bindparam("account"))
_CONTEXT = (
    select(_FRESH.c.frozen, _FRESH.c.version_id, _FRESH.c.applied_at, _RECENT.c.text)
    .select_from(_FRESH.outerjoin(_RECENT, true()))
    .order_by(_RECENT.c.published_at.desc())
)
# The same, with the account itself, found by its name (a submission: one statement for both).
_NAMED = select(_ACCOUNTS.c.id).where(_ACCOUNTS.c.name == bindparam("name")).scalar_subquery()
_NAMED_FRESH, _NAMED_RECENT = _fresh(_NAMED), _recent(_NAMED)
_ACCOUNT_WITH_CONTEXT = (
    select(
        Account,
        _NAMED_FRESH.c.frozen,
        _NAMED_FRESH.c.version_id,
        _NAMED_FRESH.c.applied_at,
        _NAMED_RECENT.c.text,
    )
    .select_from(
        _ACCOUNTS.join(_NAMED_FRESH, true()).outerjoin(_NAMED_RECENT, true()),
    )
    .where(_ACCOUNTS.c.name == bindparam("name"))
    .order_by(_NAMED_RECENT.c.published_at.desc())
)


@dataclass(frozen=True)
class Fresh:
    """What an evaluation reads from the store, as read at one moment of a transaction."""

    frozen: bool
    version_id: int | None
    applied_at: datetime | None
    recent_posts: tuple[str, ...]

    @classmethod
    def of(cls, rows: Sequence[Any]) -> Fresh:
        first = rows[0]
        recent = tuple(row.text for row in rows if row.text is not None)
        return cls(bool(first.frozen), first.version_id, first.applied_at, recent)


def _since(rt: Runtime) -> datetime:
    return utcnow() - timedelta(days=rt.settings.duplicate_days)


def account_for_rules(rt: Runtime, db: Session, name: str) -> tuple[Account, Fresh]:
    """The account of a new post (``find_account``'s answer, and its ``NotFound``) with its
    rules' context, read in one statement, for :func:`evaluate` to use in the same
    transaction (a new post has no published version to exclude from the duplicates)."""
    params = {"name": canonical_name(name), "since": _since(rt), "exclude": 0}
    rows = db.execute(_ACCOUNT_WITH_CONTEXT, params).all()
    if not rows:
        raise NotFound("no account named {name!r}", field="account", name=name)
    return rows[0][0], Fresh.of(rows)


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
    fresh: Fresh | None = None,
) -> Evaluation:
    """The rules' findings for this text (and these images, with the text read in them).
    ``frozen``: whether the account is frozen, when the caller has just read it in ``db``;
    ``fresh``: the context :func:`account_for_rules` has just read in ``db`` (else read here:
    never cached across transactions, so a freeze is seen by the next evaluation)."""
    draft = Draft(
        text=text,
        account=account.name,
        platform=account.platform,
        scheduled_at=scheduled_at,
        crisis_statement=crisis_statement,
        images=tuple(images),
    )
    if fresh is None:
        if db.autoflush:  # Core statement below: see what this session wrote, as a query would
            db.flush()
        params = {"account": account.id, "since": _since(rt), "exclude": exclude_post or 0}
        fresh = Fresh.of(db.execute(_CONTEXT, params).all())
    context = Context(
        now=now or utcnow(),
        timezone=account.timezone,
        windows=tuple(account.windows or ()),
        blackout_dates=tuple(date.fromisoformat(d) for d in account.blackout_dates or ()),
        frozen=fresh.frozen if frozen is None else frozen,
        recent_posts=fresh.recent_posts,
        limits=account_limits(account),
    )
    stamp = (
        rule_versions.stamp_of(fresh.version_id, fresh.applied_at)
        if fresh.version_id is not None
        else None
    )
    ruleset = current_ruleset(rt, db, stamp=stamp)
    note_rules_version(rt, ruleset, db)
    return ruleset.evaluate(draft, context)


def check_rules_version(rt: Runtime) -> None:
    """The periodic look (workers): record the version of the rule files as they are now."""
    try:
        note_rules_version(rt, current_ruleset(rt))
    except SettingsError as exc:  # rules that do not load: publishing says so on its own
        log.warning("rules not loaded: %s", exc.message)
