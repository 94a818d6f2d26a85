"""Reading an account back to find the post a lost answer may have made (invariant 5).

The read-back pages through the account's posts back to before the claim
(``list_recent(since=..., limit=None)``), never a fixed number of them: a worker killed
mid-call followed by hundreds of newer posts (a flood, a busy account) must still find the
post. It recognises the post however the platform rewrote it (:mod:`postgate.platforms.
matching`) and never takes a post already recorded as another Postgate post of the account,
so two posts with the same text each find their own. One listing settles every stuck post
of the account (:mod:`workers.settling`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

from sqlalchemy import select

from postgate.platforms.base import RemotePost
from postgate.platforms.matching import is_same_post
from postgate.platforms.registry import PLATFORMS
from postgate.platforms.spec import ReadBack
from postgate.runtime import Runtime
from postgate.services.credentials import connector_for_account
from postgate.store.models import Account, Post


def strategy_for(platform: str) -> ReadBack:
    """How a lost answer is settled on ``platform`` (its registry entry says): list the
    account, send again to a receiver that deduplicates, or wait for a person at once."""
    spec = PLATFORMS.get(platform)
    return spec.read_back if spec is not None else ReadBack.NONE


@dataclass(frozen=True)
class Sought:
    """A post whose outcome is unknown: its text, since when it may be on the platform, and
    the publish's idempotency key and key time (for :meth:`Connector.find_by_key`)."""

    post_id: int
    text: str
    since: datetime
    key: tuple[str, datetime] | None = None


def find_on_platform(
    rt: Runtime, account: Account, sought: list[Sought]
) -> dict[int, RemotePost | None]:
    """Each sought post of ``account`` as the platform holds it, or None where it is not.

    One listing serves them all (back to the earliest ``since``), so a dozen stuck posts
    cost one read of the account, not a dozen. A platform that made the record key from the
    publish's key is asked for that record first (``find_by_key``); it still has to be the
    same post. No remote post is given to two posts.
    """
    taken = _recorded_ids(rt, account.id, [s.post_id for s in sought])
    local_host = urlsplit(account.base_url or "").hostname
    found: dict[int, RemotePost | None] = {}

    def take(wanted: Sought, remote: RemotePost | None) -> bool:
        if remote is None or remote.remote_id in taken:
            return False
        if not is_same_post(wanted.text, remote, local_host=local_host):
            return False
        found[wanted.post_id] = remote
        taken.add(remote.remote_id)
        return True

    with connector_for_account(rt, account) as connector:
        for wanted in sought:
            if wanted.key:
                take(wanted, connector.find_by_key(*wanted.key))
        rest = [s for s in sought if s.post_id not in found]
        listed = connector.list_recent(since=min(s.since for s in rest), limit=None) if rest else []
        for wanted in rest:
            mine = (r for r in listed if r.created_at >= wanted.since)
            if not any(take(wanted, remote) for remote in mine):
                found[wanted.post_id] = None
    return found


def _recorded_ids(rt: Runtime, account_id: int, post_ids: list[int]) -> set[str]:
    """Remote ids Postgate already holds for the account's other posts."""
    with rt.store.session() as db:
        others = Post.account_id == account_id, Post.id.not_in(post_ids or [-1])
        rows = db.scalars(select(Post.remote_id).where(*others, Post.remote_id.is_not(None)))
        return {row for row in rows if row}
