"""How account and user names typed by people are matched.

Names are stored in lower case (the name rules allow only lower-case letters), and every
lookup folds what was typed the same way, so ``victimA`` and ``victima`` are one account on
the command line, in API paths and bodies, in forms and in filters: a name that was accepted
is never answered "not found" because of its capitals, and two names differing only in case
cannot both exist.
"""

from __future__ import annotations


def canonical_name(name: str | None) -> str:
    """The stored form of an account or user name as typed: trimmed, in lower case."""
    return (name or "").strip().lower()
