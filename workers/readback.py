"""Reading an account back to find the post a lost answer may have made (invariant 5).

The read-back pages through the account's posts back to before the claim
(``list_recent(since=..., limit=None)``), never a fixed number of them: a worker killed
mid-call followed by hundreds of newer posts (a flood, a busy account) must still find the
post. It recognises the post however the platform rewrote it (:mod:`postgate.platforms.
matching`) and never takes a post already recorded as another Postgate post of the account,
so two posts with the same text each find their own.
"""

from __future__ import annotations

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


def find_on_platform(
    rt: Runtime,
    account: Account,
    text: str,
    since: datetime,
    *,
    post_id: int | None = None,
    key: tuple[str, datetime] | None = None,
) -> RemotePost | None:
    """The account's post of this ``text`` published since ``since``, if there is one.

    With ``key`` (the publish's idempotency key and key time) a platform that made the
    record key from them is asked for that record first (``find_by_key``); it still has to
    be the same post, and the listing is read when it is not there.
    """
    taken = _recorded_ids(rt, account.id, post_id)
    local_host = urlsplit(account.base_url or "").hostname
    with connector_for_account(rt, account) as connector:
        direct = connector.find_by_key(*key) if key else None
        if direct is not None and is_same_post(text, direct, local_host=local_host):
            return direct
        for remote in connector.list_recent(since=since, limit=None):
            if remote.remote_id not in taken and is_same_post(text, remote, local_host=local_host):
                return remote
    return None


def _recorded_ids(rt: Runtime, account_id: int, post_id: int | None) -> set[str]:
    """Remote ids Postgate already holds for the account's other posts."""
    with rt.store.session() as db:
        others = Post.account_id == account_id, Post.id != (post_id or -1)
        rows = db.scalars(select(Post.remote_id).where(*others, Post.remote_id.is_not(None)))
        return {row for row in rows if row}
