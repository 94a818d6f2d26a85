"""One account's item rows in a takedown: what discovery found, and what each delete did.

Everything the takedown learns is a row before it acts on it: an item with its evidence is
committed before the delete call, and the outcomes are stored, each with its audit entry
and the post marked deleted, a few to a transaction shortly after the calls return. That
store side is kept here, apart from the platform calls, retries and threads of
:mod:`workers.takedown_account`, which only hands it what the platform listed and what each
delete call came to.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Row, select

from postgate import audit_payloads as payloads
from postgate.audit import Event
from postgate.platforms.base import RemotePost
from postgate.runtime import Runtime
from postgate.states import GONE, ItemOrigin, ItemOutcome, PostStatus
from postgate.store.models import Post, TakedownItem
from postgate.store.types import utcnow

log = logging.getLogger("postgate.takedown")

ACTOR = "takedown"


@dataclass(frozen=True)
class Outcome:
    """What one delete call came to, waiting to be stored with others."""

    item_id: int
    outcome: str
    reason: str
    attempts: int


class AccountItems:
    """The item rows of one account in one takedown, and the audit entries they make."""

    def __init__(self, rt: Runtime, takedown_id: int, account_id: int, account_name: str):
        self.rt, self.takedown_id = rt, takedown_id
        self.account_id, self.account_name = account_id, account_name

    # --- discovery ------------------------------------------------------------------------

    def add(self, listed: list[RemotePost], since: datetime, *, published: bool) -> int:
        """Add items for posts not yet known to this takedown; returns how many were added.

        ``published`` adds Postgate's own posts published in the window too, also those the
        listing missed; the sweeps after the deletions add only what the platform lists.
        """
        with self.rt.store.transaction() as db:
            known = set(
                db.scalars(
                    select(TakedownItem.remote_id).where(
                        TakedownItem.takedown_id == self.takedown_id,
                        TakedownItem.account_id == self.account_id,
                    )
                )
            )
            added = self._add_postgate_items(db, known, listed, since) if published else 0
            added += self._add_listed_items(db, known, listed, since)
        return added

    def _add_postgate_items(
        self, db: Any, known: set[str], listed: list[RemotePost], since: datetime
    ) -> int:
        on_platform = {p.remote_id: p for p in listed}
        posts = db.scalars(
            select(Post).where(
                Post.account_id == self.account_id,
                Post.status == PostStatus.PUBLISHED,
                Post.remote_id.is_not(None),
                Post.published_at >= since,
            )
        ).all()
        added = 0
        for post in posts:
            if post.remote_id in known:
                continue
            remote = on_platform.get(post.remote_id)
            evidence = {
                "text": post.text,
                "created_at": (remote.created_at if remote else post.published_at).isoformat(),
                "published_at": post.published_at.isoformat() if post.published_at else None,
                "url": post.remote_url or (remote.url if remote else None),
                "remote_id": post.remote_id,
                "platform_text": remote.text if remote else None,
                "captured_at": utcnow().isoformat(),
            }
            self._add_item(db, post.remote_id, ItemOrigin.POSTGATE, evidence, post_id=post.id)
            known.add(post.remote_id)
            added += 1
        return added

    def _add_listed_items(
        self, db: Any, known: set[str], listed: list[RemotePost], since: datetime
    ) -> int:
        added = 0
        for remote in listed:
            if remote.remote_id in known:
                continue
            post = db.scalar(
                select(Post).where(
                    Post.account_id == self.account_id, Post.remote_id == remote.remote_id
                )
            )
            if post is not None and post.published_at and post.published_at < since:
                continue  # ours, from before the window: not part of this takedown
            evidence = {
                "text": remote.text,
                "created_at": remote.created_at.isoformat(),
                "url": remote.url,
                "remote_id": remote.remote_id,
                "captured_at": utcnow().isoformat(),
            }
            origin = ItemOrigin.POSTGATE if post is not None else ItemOrigin.UNAUTHORIZED
            self._add_item(db, remote.remote_id, origin, evidence, post_id=post and post.id)
            known.add(remote.remote_id)
            added += 1
        return added

    def _add_item(
        self, db: Any, remote_id: str, origin: str, evidence: dict, *, post_id: int | None
    ) -> None:
        db.add(
            TakedownItem(
                takedown_id=self.takedown_id,
                account_id=self.account_id,
                post_id=post_id,
                remote_id=remote_id,
                origin=origin,
                evidence=evidence,
                outcome=ItemOutcome.PENDING,
            )
        )

    def note_listing_failure(self, reason: str) -> None:
        """Log and audit a listing that failed: the takedown goes on with what it knows."""
        log.warning(
            "takedown %s: listing %s failed: %s", self.takedown_id, self.account_name, reason
        )
        with self.rt.store.transaction() as db:
            self.rt.audit(
                db,
                Event.TAKEDOWN_ITEM,
                actor=ACTOR,
                target=f"takedown:{self.takedown_id}",
                result="failed",
                details=payloads.listing_failed(self.account_name, reason),
            )

    # --- deletion -------------------------------------------------------------------------

    def pending(self) -> list[Row[int, str]]:
        """The items still to delete (id and remote id), oldest first."""
        with self.rt.store.session() as db:
            return list(
                db.execute(
                    select(TakedownItem.id, TakedownItem.remote_id)
                    .where(
                        TakedownItem.takedown_id == self.takedown_id,
                        TakedownItem.account_id == self.account_id,
                        TakedownItem.outcome == ItemOutcome.PENDING,
                    )
                    .order_by(TakedownItem.id)
                ).all()
            )

    def record(self, outcomes: list[Outcome]) -> None:
        """Store finished deletions, several to a transaction: a commit per deletion made
        the store's single writer, not the platform, the limit. Evidence was stored before
        any delete, so a crash before this commit only means the retry hears 404."""
        with self.rt.store.transaction() as db:
            for one in outcomes:
                self._record_one(db, one)

    def _record_one(self, db: Any, one: Outcome) -> None:
        item = db.get(TakedownItem, one.item_id)
        assert item is not None
        outcome, reason, attempts = one.outcome, one.reason, one.attempts
        if outcome == ItemOutcome.NOT_FOUND and (item.attempts or attempts > 1):
            reason = "already gone (an interrupted earlier attempt may have deleted it)"
        item.outcome, item.reason = outcome, reason[:2000]
        item.attempts += attempts
        details = payloads.takedown_item(
            self.account_name,
            item.remote_id,
            item.origin,
            outcome,
            item.reason,
            item.evidence.get("created_at"),
            item.post_id,
        )
        self.rt.audit(
            db,
            Event.TAKEDOWN_ITEM,
            actor=ACTOR,
            target=f"takedown:{self.takedown_id}",
            result="ok" if outcome != ItemOutcome.FAILED else "failed",
            details=details,
        )
        if item.post_id is not None and outcome in GONE:
            self._mark_post_deleted(db, item)

    def _mark_post_deleted(self, db: Any, item: TakedownItem) -> None:
        post = db.get(Post, item.post_id)
        if post is None or post.status == PostStatus.DELETED:
            return
        post.status = PostStatus.DELETED
        post.reason = f"taken down (takedown #{self.takedown_id})"
        post.evidence = item.evidence
        self.rt.audit(
            db,
            Event.POST_DELETE,
            actor=ACTOR,
            target=f"post:{post.id}",
            details={"takedown": self.takedown_id, "remote_id": item.remote_id},
        )
