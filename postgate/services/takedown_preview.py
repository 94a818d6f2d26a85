"""What a takedown would touch, before the lead confirms it: nothing is changed.

``POST /api/v1/takedowns/preview`` (and the console, before its confirm button) lists each
account's whole collection on the platform, as the takedown job will, and decides every post
with the same rules (:mod:`postgate.services.takedown_scope`). Posts in the window that stay
are shown too, with why (a crisis statement, Postgate's posts the lead did not choose, an
excluded id), so the lead sees the choice they are making.

The lead waits for the answer, in a crisis: the accounts are listed side by side, and a call
waits at most ``BUDGET_WAIT`` seconds for the account's request budget (a takedown or a
flood of settling may be spending it): past that, the account's ``reason`` says the listing
was paced out, and the preview can be asked again, rather than the page hanging for a minute
per call.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from postgate.platforms.base import ConnectorError, RemotePost
from postgate.runtime import Runtime
from postgate.services.credentials import connector_for_account
from postgate.services.takedown_manual import mark_manual_steps
from postgate.services.takedown_scope import Scope, decide
from postgate.services.takedowns import check_scope, resolve_accounts
from postgate.states import PostStatus
from postgate.store.models import Account, Approval, Post

LIST_LIMIT = 10_000  # as the job lists
BUDGET_WAIT = 5.0  # seconds a listing call may wait for the account's request budget
MAX_THREADS = 8  # accounts listed at once


def preview_takedown(
    rt: Runtime, account_names: list[str] | None, since: datetime, scope: Scope
) -> dict[str, Any]:
    """``{"items": [...], "accounts": [{"name", "listed", "reason", ...}]}``; items are
    ordered by account, then newest first, with ``action`` ``delete`` or ``keep``, ``why``
    and ``by_hand`` (:mod:`postgate.services.takedown_manual`)."""
    with rt.store.session() as db:
        accounts = resolve_accounts(db, account_names)
        scope = check_scope(db, scope)  # usernames as stored, whatever their case
        for account in accounts:
            db.expunge(account)
    items: list[dict[str, Any]] = []
    listings = []
    with ThreadPoolExecutor(max_workers=max(1, min(MAX_THREADS, len(accounts)))) as pool:
        found = list(pool.map(lambda account: _listing(rt, account, since), accounts))
    for account, (listed, written, reason) in zip(accounts, found, strict=True):
        listings.append({"name": account.name, "listed": len(listed), "reason": reason})
        with rt.store.session() as db:
            items += _account_items(db, account, listed, written, since, scope)
    platforms = {account.name: account.platform for account in accounts}
    return mark_manual_steps({"items": items, "accounts": listings}, platforms)


def _listing(
    rt: Runtime, account: Account, since: datetime
) -> tuple[list[RemotePost], set[str], str]:
    """What the account lists, which of it the platform's history shows written since
    ``since``, and why either failed ("" when nothing did)."""
    listed: list[RemotePost] = []
    try:
        with connector_for_account(rt, account, max_wait=BUDGET_WAIT) as connector:
            listed = connector.list_recent(since=None, limit=LIST_LIMIT)
            return listed, connector.written_since(since, listed) or set(), ""
    except (ConnectorError, ValueError) as exc:
        what = "read the account's history" if listed else "list the account"
        return listed, set(), f"could not {what}: {getattr(exc, 'message', str(exc))}"


def _account_items(
    db: Session,
    account: Account,
    listed: list[RemotePost],
    written: set[str],
    since: datetime,
    scope: Scope,
) -> list[dict[str, Any]]:
    ids = [remote.remote_id for remote in listed]
    in_window = (Post.status == PostStatus.PUBLISHED) & (Post.published_at >= since)
    posts = db.scalars(
        select(Post)
        .options(
            selectinload(Post.author), selectinload(Post.approvals).selectinload(Approval.reviewer)
        )
        .where(Post.account_id == account.id, Post.remote_id.is_not(None))
        .where(Post.remote_id.in_(ids) | in_window)
    ).all()
    ours = {post.remote_id: post for post in posts}
    seen = set(ids)
    candidates: list[tuple[RemotePost | None, Post | None]]
    candidates = [(r, ours.get(r.remote_id)) for r in listed]
    candidates += [(None, post) for rid, post in ours.items() if rid not in seen]
    out = []
    for remote, post in candidates:
        author = post.author.username if post is not None else None
        rid = remote.remote_id if remote else None
        decision = decide(remote, post, author, since, scope, written=rid in written)
        if not decision.touch and decision.why == "before the window":
            continue
        out.append(_item(account, remote, post, author, decision.touch, decision.why))
    return out


def _item(
    account: Account,
    remote: RemotePost | None,
    post: Post | None,
    author: str | None,
    touch: bool,
    why: str,
) -> dict[str, Any]:
    approvers = [a.reviewer.username for a in post.approvals if a.voided_at is None] if post else []
    created = remote.created_at if remote else post.published_at if post else None
    return {
        "account": account.name,
        "remote_id": remote.remote_id if remote else post.remote_id if post else "",
        "origin": "postgate" if post is not None else "unauthorized",
        "author": author,
        "approvers": approvers,
        "text": remote.text if remote else post.text if post else "",
        "approved_text": post.text if post is not None else None,
        "created_at": created.isoformat() if created else None,
        "edited_at": remote.edited_at.isoformat() if remote and remote.edited_at else None,
        "visibility": remote.visibility if remote else None,
        "url": (remote.url if remote else None) or (post.remote_url if post else None),
        "action": "delete" if touch else "keep",
        "why": why,
    }
