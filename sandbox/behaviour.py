"""How much the sandbox behaves like a real Mastodon server, switchable at run time.

A sandbox that agrees with every assumption a client makes proves nothing, so by default it
does what Mastodon does: HTML ``content`` with mentions, hashtags and links marked up
(:mod:`sandbox.formatting`), an ``Idempotency-Key`` memory of one hour per account
(``PostStatusService``), and Mastodon's length count against ``max_characters``. Tests turn
each part off or change it (``PUT /sandbox/behaviour``, ``postgate sandbox behaviour``) to
model servers that differ: a plain-text renderer, a server that ignores idempotency keys or
forgets them after a few seconds, a smaller character limit. The control endpoint and
the rendering that reads these settings are in :mod:`sandbox.realism`.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from typing import Any


@dataclass(frozen=True)
class Behaviour:
    """The switchable parts; the defaults are Mastodon's."""

    markup: bool = True
    idempotency: bool = True
    idempotency_ttl_seconds: int = 3600
    max_characters: int = 500
    max_media_attachments: int = 4
    characters_reserved_per_url: int = 23

    def to_json(self) -> dict[str, Any]:
        """The shape ``GET /sandbox/behaviour`` answers and ``PUT`` accepts."""
        return {item.name: getattr(self, item.name) for item in fields(self)}


def updated_behaviour(current: Behaviour, changes: dict[str, Any]) -> Behaviour:
    """Apply a partial update from JSON; ValueError names the first bad setting."""
    known = {item.name: item for item in fields(Behaviour)}
    for name, value in changes.items():
        if name not in known:
            raise ValueError(f"unknown behaviour setting: {name}")
        if isinstance(getattr(current, name), bool):
            if not isinstance(value, bool):
                raise ValueError(f"{name} must be true or false")
        elif isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"{name} must be a positive integer")
    return replace(current, **changes)
