"""Recognise Postgate's own post on a platform however the platform rewrote its text.

After a lost answer the worker reads the account back and looks for the post it may have
made (invariant 5). Comparing the approved text with the platform's text fails on every real
server: Mastodon answers HTML in which ``@team@other.example`` reads ``@team`` and links are
split into spans; X wraps each link as ``https://t.co/...`` and escapes ``&`` as ``&amp;``;
hashtags become links and whitespace moves. A miss there means publishing a second time.

So both sides are reduced to the same :class:`Shape`:

- a **skeleton** of the text: HTML entities decoded, Unicode NFC, each link a placeholder,
  each mention ``@user@host`` its local part ``@user``, whitespace collapsed;
- the **structured fields** the platform vouches for (Mastodon ``mentions``/``tags``/
  ``card``, Bluesky facets, X ``entities``), carried by :class:`~.base.RemotePost`.

A remote post is ours when the skeletons are equal and nothing the platform says contradicts
the approved text: every account it lists as mentioned is one the text mentions (so
``@team@evil.example`` never passes for ``@team@other.example``), every hashtag it lists is
one of ours, and every link of ours is among the links it lists, when it lists any.
"""

from __future__ import annotations

import html
import re
import unicodedata
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

from .base import RemotePost

URL = re.compile(r"https?://[^\s<>\"]+", re.IGNORECASE)
MENTION = re.compile(
    r"(?<![\w/@])@([a-z0-9_]+(?:[a-z0-9_.-]*[a-z0-9_])?)(?:@([a-z0-9-]+(?:\.[a-z0-9-]+)+))?",
    re.IGNORECASE,
)
HASHTAG = re.compile(r"(?<![\w/)#&])#(\w*[^\W\d]\w*)")
LINK_MARK = "\u2060link\u2060"
_TRAILING = ".,;:!?\"')]\u2019"


@dataclass(frozen=True)
class Shape:
    """What a post says, reduced to what survives every platform's rendering."""

    skeleton: str
    mentions: frozenset[str]  # "user@host", or "user" for a mention without a host
    tags: frozenset[str]  # lowercase, without "#"
    links: tuple[str, ...]  # normalised URLs, in order


def shape_of(text: str) -> Shape:
    """The shape of a text as Postgate wrote it (or as a platform's plain text reads)."""
    decoded = unicodedata.normalize("NFC", html.unescape(text))
    links = tuple(normal_url(_trim(m.group(0))) for m in URL.finditer(decoded))
    without_links = URL.sub(lambda m: LINK_MARK + m.group(0)[len(_trim(m.group(0))) :], decoded)
    mentions = frozenset(_acct(m.group(1), m.group(2)) for m in MENTION.finditer(without_links))
    tags = frozenset(m.group(1).lower() for m in HASHTAG.finditer(without_links))
    local = MENTION.sub(lambda m: "@" + m.group(1).lower(), without_links)
    return Shape(" ".join(local.split()), mentions, tags, links)


def is_same_post(approved: str, remote: RemotePost, *, local_host: str | None = None) -> bool:
    """Whether ``remote`` is the post of ``approved`` text (see the module docstring)."""
    ours, theirs = shape_of(approved), shape_of(remote.text)
    if ours.skeleton != theirs.skeleton:
        return False
    ours_local = {_local(acct, local_host) for acct in ours.mentions}
    for acct in remote.mentions:
        if _local(acct.lower().lstrip("@"), local_host) not in ours_local:
            return False
    if any(tag.lower().lstrip("#") not in ours.tags for tag in remote.tags):
        return False
    if remote.links:
        listed = {normal_url(link) for link in remote.links}
        return all(link in listed for link in ours.links)
    return True


def normal_url(url: str) -> str:
    """A URL compared loosely: scheme and host lowercased, a bare trailing slash dropped."""
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return url.strip()
    path = parts.path.rstrip("/") if parts.path not in ("", "/") else ""
    host = (parts.hostname or "").lower()
    if parts.port:
        host = f"{host}:{parts.port}"
    return urlunsplit((parts.scheme.lower(), host, path, parts.query, parts.fragment))


def _acct(user: str, host: str | None) -> str:
    return f"{user.lower()}@{host.lower()}" if host else user.lower()


def _local(acct: str, local_host: str | None) -> str:
    """``user@<this server>`` is the same account as ``user``."""
    user, _, host = acct.partition("@")
    return user if local_host and host == local_host.lower() else acct


def _trim(url: str) -> str:
    """Sentence punctuation after a link is not part of it."""
    while url and url[-1] in _TRAILING:
        url = url[:-1]
    return url
