"""Render sandbox records as Mastodon's JSON entities (Account, Status) and Link headers.

Postgate's Mastodon connector parses these, so field names, id types (strings) and
time formats follow Mastodon's documented entities.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from sandbox.realism import rendered
from sandbox.store import Account, Status


def iso_time(epoch_ms: int) -> str:
    """Mastodon's timestamp format: UTC, milliseconds, ``Z`` suffix."""
    moment = datetime.fromtimestamp(epoch_ms / 1000, tz=UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{epoch_ms % 1000:03d}Z"


def account_json(account: Account, base: str, statuses_count: int = 0) -> dict[str, Any]:
    """Mastodon's Account entity for a local account."""
    url = f"{base}/@{account.username}"
    return {
        "id": str(account.id),
        "username": account.username,
        "acct": account.username,
        "display_name": account.username,
        "locked": False,
        "bot": False,
        "discoverable": True,
        "group": False,
        "created_at": iso_time(account.created_at),
        "note": "",
        "url": url,
        "uri": f"{base}/users/{account.username}",
        "avatar": f"{base}/avatars/original/missing.png",
        "avatar_static": f"{base}/avatars/original/missing.png",
        "header": f"{base}/headers/original/missing.png",
        "header_static": f"{base}/headers/original/missing.png",
        "followers_count": 0,
        "following_count": 0,
        "statuses_count": statuses_count,
        "last_status_at": None,
        "emojis": [],
        "fields": [],
    }


def status_json(
    status: Status, account: Account, base: str, *, with_source: bool = False
) -> dict[str, Any]:
    """Mastodon's Status entity; ``with_source`` adds ``text`` as DELETE answers do."""
    markup = rendered(status.text, base)
    body: dict[str, Any] = {
        "id": str(status.id),
        "created_at": iso_time(status.created_at),
        "in_reply_to_id": None,
        "in_reply_to_account_id": None,
        "sensitive": False,
        "spoiler_text": "",
        "visibility": status.visibility,
        "language": None,
        "uri": f"{base}/users/{account.username}/statuses/{status.id}",
        "url": f"{base}/@{account.username}/{status.id}",
        "replies_count": 0,
        "reblogs_count": 0,
        "favourites_count": 0,
        "edited_at": iso_time(status.edited_at) if status.edited_at else None,
        "content": markup.content,
        "reblog": None,
        "application": {"name": "Postgate sandbox", "website": None},
        "account": account_json(account, base),
        "media_attachments": [],
        "mentions": markup.mentions,
        "tags": markup.tags,
        "emojis": [],
        "card": markup.card,
        "poll": None,
    }
    if with_source:
        body["text"] = status.text
    return body


def link_header(url: str, page: list[Status], limit: int | None) -> str | None:
    """``Link`` with ``rel="next"`` (older, max_id) and ``rel="prev"`` (newer, min_id)."""
    if not page:
        return None
    extra = {"limit": limit} if limit is not None else {}
    older = urlencode({**extra, "max_id": page[-1].id})
    newer = urlencode({**extra, "min_id": page[0].id})
    return f'<{url}?{older}>; rel="next", <{url}?{newer}>; rel="prev"'
