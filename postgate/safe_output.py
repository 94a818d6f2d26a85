"""Text from outside, written where it may be rendered: Markdown, and links.

An attacker who posted on a brand's account chose the evidence text, and a hostile platform
chooses the ids, URLs and error messages it answers with. The incident report carries them
into a post-mortem, which someone pastes into a wiki, a ticket or a chat that renders
Markdown: there they must stay inert text, never a link, an image (a tracking pixel), raw
HTML, a heading, a broken table or a code fence swallowing the rest of the report.

So every such value is written as a **code span** (:func:`verbatim`): CommonMark renders its
content literally (no HTML, emphasis, links, images or autolinks), whatever it contains; the
fence is one backtick longer than the longest run of backticks inside, and padded when the
text starts or ends with one. A table cell also escapes ``|``, which GFM splits cells on even
inside a code span. Names we control are escaped character by character (:func:`escape`).

A URL becomes a link only when it is safe to follow (:func:`shown_link`): ``https`` to a named
host or address, or plain ``http`` to this machine's loopback (the local sandbox platform).
Anything else (``javascript:``, ``data:``, ``http`` to the internet, credentials in the URL,
control characters) is shown as text.
"""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import quote, urlsplit

_BACKTICKS = re.compile(r"`+")
_PUNCTUATION = re.compile(r"([!-/:-@\[-`{-~])")  # every ASCII punctuation character
_UNSAFE_IN_URL = re.compile(r"[\x00-\x20\x7f<>\\|`\"]")


def one_line(text: object) -> str:
    return " ".join(str(text if text is not None else "").split())


def verbatim(text: object) -> str:
    """``text`` as an inline code span: rendered exactly as written, never interpreted."""
    flat = one_line(text)
    if not flat:
        return ""
    longest = max((len(run) for run in _BACKTICKS.findall(flat)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if flat.startswith("`") or flat.endswith("`") else ""
    return f"{fence}{pad}{flat}{pad}{fence}"


def cell(text: object) -> str:
    """:func:`verbatim` for a GFM table cell."""
    return verbatim(text).replace("|", "\\|")


def escape(text: object) -> str:
    """Plain inline text with every ASCII punctuation character backslash-escaped."""
    return _PUNCTUATION.sub(r"\\\1", one_line(text))


def shown_link(url: object) -> str | None:
    """``url`` when it is safe to show as a link (see the module doc), else None."""
    if not isinstance(url, str) or not url or len(url) > 2048 or _UNSAFE_IN_URL.search(url):
        return None
    try:
        parts = urlsplit(url)
        host = parts.hostname
        parts.port  # noqa: B018 - raises ValueError for a port that is not one
    except ValueError:
        return None
    if not host or parts.username is not None or parts.password is not None:
        return None
    if parts.scheme == "https" or (parts.scheme == "http" and _is_loopback(host)):
        return url
    return None


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def link(label: object, url: str) -> str:
    """A Markdown link to a URL that :func:`shown_link` accepted, its label escaped."""
    target = quote(url, safe=":/?#[]@!$&'()*+,;=%-._~")
    return f"[{escape(label)}](<{target}>)"
