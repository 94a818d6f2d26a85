"""Where a page may send the browser next: a same-site path, never another site.

A ``next`` parameter comes from the request, so taken as is it would make every login and
language switch an open redirect. Both the login pages and the language switch read it
through :func:`safe_next`.
"""

from __future__ import annotations

from urllib.parse import urlsplit


def safe_next(target: str | None) -> str | None:
    """A same-site path to go back to after login; anything else is dropped, control
    characters included (a CR or LF would split the ``Location`` header)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    if any(ord(char) < 0x20 or ord(char) == 0x7F for char in target):
        return None
    parts = urlsplit(target)
    return None if parts.scheme or parts.netloc else target
