"""What the lead must do by hand in a takedown, said before it starts (the preview).

A platform's registry entry says what Postgate can do there (:class:`~postgate.platforms.
spec.Capabilities`). Where its API cannot delete a post, each post the takedown would delete
is marked ``by_hand`` with its link (and the takedown records it ``failed`` with
:data:`DELETE_BY_HAND` instead of calling the platform); where the listing misses non-public posts
(Facebook's unpublished posts) or the token cannot be revoked through the API (Threads), the
account says so, so the lead checks the account and removes the app's access themselves.
"""

from __future__ import annotations

from typing import Any

from postgate.platforms.registry import PLATFORMS
from postgate.platforms.spec import Capabilities

DELETE_BY_HAND = (
    "the platform's API cannot delete posts: delete it by hand from its link, then check the"
    " account"
)
# A platform Postgate does not know (an account left from an older version) can do nothing.
NOTHING = Capabilities(idempotency=False, delete=False, list_non_public=False, revoke=False)


def capabilities_of(platform: str) -> Capabilities:
    spec = PLATFORMS.get(platform)
    return spec.capabilities if spec is not None else NOTHING


def mark_manual_steps(preview: dict[str, Any], platforms: dict[str, str]) -> dict[str, Any]:
    """``preview`` with, per item, ``by_hand`` (a post to delete that Postgate cannot) and,
    per account, its ``platform`` and what Postgate can do there: ``deletes``,
    ``lists_non_public`` and ``revokes``."""
    for item in preview["items"]:
        can = capabilities_of(platforms.get(item["account"], ""))
        item["by_hand"] = item["action"] == "delete" and not can.delete
    for listing in preview["accounts"]:
        platform = platforms.get(listing["name"], "")
        can = capabilities_of(platform)
        listing.update(
            platform=platform,
            deletes=can.delete,
            lists_non_public=can.list_non_public,
            revokes=can.revoke,
        )
    return preview
