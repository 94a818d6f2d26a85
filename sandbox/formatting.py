"""Status text as Mastodon renders it: HTML ``content`` with marked-up entities.

Mastodon stores the text a client sent, but every Status it answers carries HTML made by
its ``TextFormatter`` (app/lib/text_formatter.rb): links shortened to 30 visible characters
with the scheme and the rest in ``<span class="invisible">``, hashtags as
``#<span>tag</span>`` links, and each mention of an account it knows as
``@<span>username</span>`` (the domain dropped, even for ``@user@other.example``), plus the
``mentions`` and ``tags`` arrays and a preview ``card`` for the first link. A client that
compares the text it sent with what it reads back must cope with all of it, so the sandbox
does the same (switchable: :mod:`sandbox.behaviour`).

Also Mastodon's length count (``StatusLengthValidator``): each URL counts as
``characters_reserved_per_url`` characters and ``@user@domain`` counts as ``@user``.
"""

from __future__ import annotations

import hashlib
import html
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlsplit

URL = re.compile(r"https?://[^\s<>\"]+[^\s<>\".,;:!?)\]'\u2019]", re.IGNORECASE)
HASHTAG = re.compile(r"(?<![\w/)#])#(\w*[^\W\d]\w*)")
MENTION = re.compile(
    r"(?<![\w/@])@([a-z0-9_]+(?:[a-z0-9_.-]+[a-z0-9_])?)(?:@([\w.-]+\w))?", re.IGNORECASE
)
PREFIX = re.compile(r"\A(https?://(www\.)?)", re.IGNORECASE)
DISPLAY_CHARS = 30


@dataclass(frozen=True)
class Mentioned:
    """An account a mention resolved to, as Mastodon's Mention entity shows it."""

    id: str
    username: str
    acct: str
    url: str


@dataclass
class Rendered:
    """A status text's ``content``, ``mentions``, ``tags`` and ``card``."""

    content: str
    mentions: list[dict[str, str]] = field(default_factory=list)
    tags: list[dict[str, str]] = field(default_factory=list)
    card: dict[str, Any] | None = None


Resolver = Callable[[str, str | None], Mentioned | None]


def entities(text: str) -> list[tuple[int, int, str, re.Match[str]]]:
    """URLs, hashtags and mentions in order, overlaps resolved in favour of the earliest."""
    found = [(m.start(), m.end(), "url", m) for m in URL.finditer(text)]
    found += [(m.start(), m.end(), "tag", m) for m in HASHTAG.finditer(text)]
    found += [(m.start(), m.end(), "mention", m) for m in MENTION.finditer(text)]
    found.sort(key=lambda item: (item[0], -item[1]))
    kept: list[tuple[int, int, str, re.Match[str]]] = []
    for item in found:
        if not kept or item[0] >= kept[-1][1]:
            kept.append(item)
    return kept


def remote_mention(base: str) -> Resolver:
    """Resolve ``@user@host`` as Mastodon does after WebFinger: any remote account exists."""

    def resolve(username: str, domain: str | None) -> Mentioned | None:
        if domain is None or domain.lower() == (urlsplit(base).hostname or "").lower():
            return None
        acct = f"{username}@{domain}"
        digest = hashlib.sha256(acct.lower().encode()).hexdigest()
        return Mentioned(str(int(digest[:12], 16)), username, acct, f"https://{domain}/@{username}")

    return resolve


def render(text: str, base: str, resolve: Resolver) -> Rendered:
    """Mastodon's ``TextFormatter#to_s`` plus the Status entity's entity arrays."""
    out: list[str] = []
    rendered = Rendered(content="")
    last = 0
    for start, end, kind, match in entities(text):
        out.append(escape(text[last:start]))
        out.append(_entity(kind, match, base, resolve, rendered))
        last = end
    out.append(escape(text[last:]))
    rendered.content = paragraphs("".join(out))
    return rendered


def _entity(kind: str, match: re.Match[str], base: str, resolve: Resolver, into: Rendered) -> str:
    if kind == "url":
        url = match.group(0)
        if into.card is None:
            into.card = card(url)
        return link(url)
    if kind == "tag":
        name = match.group(1)
        url = f"{base}/tags/{quote(name.lower())}"
        if all(tag["name"] != name.lower() for tag in into.tags):
            into.tags.append({"name": name.lower(), "url": url})
        return (
            f'<a href="{_attr(url)}" class="mention hashtag" rel="tag">'
            f"#<span>{escape(name)}</span></a>"
        )
    account = resolve(match.group(1), match.group(2))
    if account is None:
        return escape(match.group(0))
    if all(item["id"] != account.id for item in into.mentions):
        entity = {"id": account.id, "username": account.username, "url": account.url}
        into.mentions.append(entity | {"acct": account.acct})
    return (
        f'<span class="h-card" translate="no"><a href="{_attr(account.url)}" class="u-url mention">'
        f"@<span>{escape(account.username)}</span></a></span>"
    )


def link(url: str) -> str:
    """A link as Mastodon shortens it: scheme hidden, 30 characters shown, the rest hidden."""
    prefix = PREFIX.match(url)
    head = prefix.group(0) if prefix else ""
    rest = url[len(head) :]
    shown, hidden = rest[:DISPLAY_CHARS], rest[DISPLAY_CHARS:]
    cls = "ellipsis" if hidden else ""
    return (
        f'<a href="{_attr(url)}" target="_blank" rel="nofollow noopener noreferrer">'
        f'<span class="invisible">{escape(head)}</span><span class="{cls}">{escape(shown)}</span>'
        f'<span class="invisible">{escape(hidden)}</span></a>'
    )


def card(url: str) -> dict[str, Any]:
    """The PreviewCard Mastodon's link crawler would attach (title: the page's host)."""
    host = urlsplit(url).hostname or ""
    return {
        "url": url,
        "title": host,
        "description": "",
        "language": None,
        "type": "link",
        "author_name": "",
        "author_url": "",
        "provider_name": host,
        "provider_url": "",
        "html": "",
        "width": 0,
        "height": 0,
        "image": None,
        "image_description": "",
        "embed_url": "",
        "blurhash": None,
        "published_at": None,
    }


def paragraphs(escaped: str) -> str:
    """Rails' ``simple_format``: blank lines split ``<p>``, single newlines are ``<br />``."""
    parts = re.split(r"\n{2,}", escaped.replace("\r\n", "\n"))
    return "".join(f"<p>{part.replace(chr(10), '<br />')}</p>" for part in parts)


def countable_length(text: str, reserved_per_url: int) -> int:
    """Mastodon's ``StatusLengthValidator``: URLs count a fixed length, mentions their user."""
    counted = URL.sub("x" * reserved_per_url, text)
    counted = MENTION.sub(lambda m: "@" + m.group(1), counted)
    return len(counted)


def escape(text: str) -> str:
    """Rails' ``h``: quotes escaped too, the apostrophe as ``&#39;``."""
    return html.escape(text, quote=True).replace("&#x27;", "&#39;")


_attr = escape
