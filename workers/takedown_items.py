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
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Row, select, update

from postgate import audit_payloads as payloads
from postgate.audit import Event
from postgate.platforms.base import RemotePost
from postgate.runtime import Runtime
from postgate.services.takedown_scope import Scope, decide
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


@dataclass(frozen=True)
class Unrecorded:
    """An item whose delete call may have gone out without its answer being stored."""

    id: int
    remote_id: str
    created_at: datetime | None  # the platform's, as stored in the evidence
    visibility: str | None

    @classmethod
    def of(cls, item_id: int, remote_id: str, evidence: dict[str, Any]) -> Unrecorded:
        try:
            created: datetime | None = datetime.fromisoformat(evidence["created_at"])
        except (KeyError, TypeError, ValueError):
            created = None
        if created is not None and created.tzinfo is None:
            created = created.replace(tzinfo=UTC)  # the store keeps UTC
        visibility = evidence.get("visibility")
        return cls(item_id, remote_id, created, visibility if isinstance(visibility, str) else None)


class AccountItems:
    """The item rows of one account in one takedown, and the audit entries they make."""

    def __init__(self, rt: Runtime, takedown_id: int, account_id: int, account_name: str):
        self.rt, self.takedown_id = rt, takedown_id
        self.account_id, self.account_name = account_id, account_name

    # --- discovery ------------------------------------------------------------------------

    def add(
        self,
        listed: list[RemotePost],
        since: datetime,
        scope: Scope,
        *,
        published: bool,
        written: set[str] | frozenset[str] = frozenset(),
    ) -> int:
        """Add items for the posts in scope not yet known to this takedown; returns how many.

        What is in scope is :func:`postgate.services.takedown_scope.decide`'s call;
        ``written`` names the posts the platform's history shows written in the window.
        ``published`` also looks at Postgate's own posts published in the window, those the
        listing missed included; the sweeps after the deletions add only what is listed.
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
            ours = self._postgate_posts(db, [p.remote_id for p in listed], since, published)
            added = 0
            for remote_id, remote, post in _candidates(listed, ours):
                if remote_id in known:
                    continue
                author = post.author.username if post is not None and post.author else None
                if not decide(
                    remote, post, author, since, scope, written=remote_id in written
                ).touch:
                    continue
                self._add_item(db, remote_id, remote, post)
                known.add(remote_id)
                added += 1
        return added

    def _postgate_posts(
        self, db: Any, listed_ids: list[str], since: datetime, published: bool
    ) -> dict[str, Post]:
        """Postgate's rows for the listed posts, and (``published``) its posts in the window."""
        mine = (Post.account_id == self.account_id) & Post.remote_id.is_not(None)
        wanted: Any = Post.remote_id.in_(listed_ids)
        if published:
            wanted = wanted | ((Post.status == PostStatus.PUBLISHED) & (Post.published_at >= since))
        posts = db.scalars(select(Post).where(mine & wanted)).all()
        return {post.remote_id: post for post in posts}

    def _add_item(
        self, db: Any, remote_id: str, remote: RemotePost | None, post: Post | None
    ) -> None:
        evidence: dict[str, Any] = {
            "text": post.text if post is not None else remote.text if remote else "",
            "created_at": (
                (remote.created_at if remote else post.published_at if post else None) or utcnow()
            ).isoformat(),
            "url": (post.remote_url if post is not None else None) or (remote and remote.url),
            "remote_id": remote_id,
            "captured_at": utcnow().isoformat(),
        }
        if post is not None:
            evidence["published_at"] = post.published_at.isoformat() if post.published_at else None
            evidence["platform_text"] = remote.text if remote else None
            evidence["approved_media"] = [
                {"sha256": m.get("sha256"), "alt": m.get("alt")}
                for m in post.media or []
                if isinstance(m, dict)
            ]
        if remote is not None:
            evidence["edited_at"] = remote.edited_at.isoformat() if remote.edited_at else None
            if remote.key_time is not None:
                evidence["key_time"] = remote.key_time.isoformat()
            evidence["visibility"] = remote.visibility
            evidence["platform_record"] = remote.raw
        origin = ItemOrigin.POSTGATE if post is not None else ItemOrigin.UNAUTHORIZED
        self._insert_item(db, remote_id, origin, evidence, post_id=post.id if post else None)

    def _insert_item(
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

    def pending(self) -> list[Row[int, str, str]]:
        """The items still to delete (id, remote id, outcome), oldest first: pending and
        neutralised ones."""
        with self.rt.store.session() as db:
            return list(
                db.execute(
                    select(TakedownItem.id, TakedownItem.remote_id, TakedownItem.outcome)
                    .where(
                        TakedownItem.takedown_id == self.takedown_id,
                        TakedownItem.account_id == self.account_id,
                        TakedownItem.outcome.in_((ItemOutcome.PENDING, ItemOutcome.NEUTRALISED)),
                    )
                    .order_by(TakedownItem.id)
                ).all()
            )

    def sent_unrecorded(self) -> list[Unrecorded]:
        """Items still to delete that have a delete call counted (``attempts > 0``): an
        earlier run marked them before sending and died before storing the answers."""
        with self.rt.store.session() as db:
            rows = db.execute(
                select(TakedownItem.id, TakedownItem.remote_id, TakedownItem.evidence).where(
                    TakedownItem.takedown_id == self.takedown_id,
                    TakedownItem.account_id == self.account_id,
                    TakedownItem.outcome.in_((ItemOutcome.PENDING, ItemOutcome.NEUTRALISED)),
                    TakedownItem.attempts > 0,
                )
            ).all()
        return [Unrecorded.of(item_id, remote_id, ev or {}) for item_id, remote_id, ev in rows]

    def record_confirmed(self, item_ids: list[int], reason: str) -> None:
        """Items found gone without another delete call: ``deleted``, with how it was known."""
        if not item_ids:
            return
        with self.rt.store.transaction() as db:
            for item_id in item_ids:
                item = db.get(TakedownItem, item_id)
                if item is not None and item.outcome in (
                    ItemOutcome.PENDING,
                    ItemOutcome.NEUTRALISED,
                ):
                    self._record_one(db, Outcome(item_id, ItemOutcome.DELETED, reason, 1))

    # --- media evidence -------------------------------------------------------------------

    def uncaptured(self) -> list[tuple[int, Any]]:
        """Items still to delete whose media were not captured yet: (id, platform record)."""
        with self.rt.store.session() as db:
            rows = db.execute(
                select(TakedownItem.id, TakedownItem.evidence).where(
                    TakedownItem.takedown_id == self.takedown_id,
                    TakedownItem.account_id == self.account_id,
                    TakedownItem.outcome == ItemOutcome.PENDING,
                )
            ).all()
        return [(i, ev.get("platform_record")) for i, ev in rows if "media" not in (ev or {})]

    def store_media(self, media: dict[int, list[dict[str, Any]]]) -> None:
        """Items' media files, kept: each item's evidence lists its own (``media``)."""
        with self.rt.store.transaction() as db:
            for item_id, entries in media.items():
                item = db.get(TakedownItem, item_id)
                assert item is not None
                item.evidence = {**item.evidence, "media": entries}

    # --- verification ---------------------------------------------------------------------

    def compare(self, live: set[str], reason: str) -> None:
        """Items deleted (or not found) that the platform still lists become ``still_live``."""
        with self.rt.store.transaction() as db:
            for item in self._gone(db):
                if item.remote_id in live:
                    self._verdict(db, item, ItemOutcome.STILL_LIVE, reason)

    def mark_unverified(self, reason: str) -> None:
        """The account could not be listed again: no deletion is known to have held."""
        with self.rt.store.transaction() as db:
            for item in self._gone(db):
                self._verdict(db, item, ItemOutcome.UNVERIFIED, reason)

    def _gone(self, db: Any) -> list[TakedownItem]:
        return list(
            db.scalars(
                select(TakedownItem).where(
                    TakedownItem.takedown_id == self.takedown_id,
                    TakedownItem.account_id == self.account_id,
                    TakedownItem.outcome.in_(GONE),
                )
            )
        )

    def _verdict(self, db: Any, item: TakedownItem, outcome: ItemOutcome, reason: str) -> None:
        item.outcome, item.reason = outcome, reason
        self.rt.audit(
            db,
            Event.TAKEDOWN_ITEM,
            actor=ACTOR,
            target=f"takedown:{self.takedown_id}",
            result="failed",
            details=payloads.takedown_item(
                self.account_name,
                item.remote_id,
                item.origin,
                outcome,
                reason,
                item.evidence.get("created_at"),
                item.post_id,
            ),
        )

    def record_neutralised(self, item_ids: list[int]) -> None:
        """Items whose text the platform replaced with the holding text; still to delete."""
        if not item_ids:
            return
        with self.rt.store.transaction() as db:
            db.execute(
                update(TakedownItem)
                .where(TakedownItem.id.in_(item_ids), TakedownItem.outcome == ItemOutcome.PENDING)
                .values(outcome=ItemOutcome.NEUTRALISED)
            )

    def mark_sending(self, item_ids: list[int]) -> None:
        """Count one delete call on each item before any is sent (one transaction): a run
        that dies before storing an answer leaves the mark, and the next run's 404 for the
        post is then recognised as Postgate's own deletion, not reported ``not_found``."""
        with self.rt.store.transaction() as db:
            db.execute(
                update(TakedownItem)
                .where(TakedownItem.id.in_(item_ids))
                .values(attempts=TakedownItem.attempts + 1)
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
        # ``attempts`` already counts this run's call (``mark_sending``): more means an
        # earlier call, of this run or of one that died before storing its answer.
        if outcome == ItemOutcome.NOT_FOUND and (item.attempts > 1 or attempts > 1):
            outcome = ItemOutcome.DELETED
            reason = "gone when retried: an earlier delete call (its answer lost) took it down"
        item.outcome, item.reason = outcome, reason[:2000]
        item.attempts += attempts - 1
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


def _candidates(
    listed: list[RemotePost], ours: dict[str, Post]
) -> list[tuple[str, RemotePost | None, Post | None]]:
    """Every post to decide on: what the platform listed, then Postgate's posts it missed."""
    seen = {remote.remote_id for remote in listed}
    out: list[tuple[str, RemotePost | None, Post | None]] = [
        (remote.remote_id, remote, ours.get(remote.remote_id)) for remote in listed
    ]
    out += [(rid, None, post) for rid, post in ours.items() if rid not in seen]
    return out
