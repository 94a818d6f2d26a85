# ruff: noqa: RUF001  (the look-alike tables below are look-alikes on purpose)
"""Fold text to a matching skeleton while remembering where each character came from.

People dodge word filters with accents, upper case, Cyrillic look-alikes,
zero-width characters, full-width forms and l33t digits. Matching on a folded
copy catches all of them at once; the offset table maps a match back to the
exact span of the original text so the finding can point at it.
"""

from __future__ import annotations

import functools
import itertools
import re
import unicodedata
from collections.abc import Sequence

# Letters from other scripts that look like Latin ones (after case folding),
# plus ligatures and letters NFKD does not decompose.
_CONFUSABLES = {
    # Cyrillic
    "а": "a", "в": "b", "е": "e", "ё": "e", "к": "k", "м": "m", "н": "h", "о": "o",
    "р": "p", "с": "c", "т": "t", "у": "y", "х": "x", "ь": "b", "ѕ": "s", "і": "i",
    "ї": "i", "ј": "j",
    "ԁ": "d", "ԛ": "q", "ԝ": "w", "һ": "h", "ӏ": "l",
    # Greek
    "α": "a", "β": "b", "γ": "y", "ε": "e", "η": "n", "ι": "i", "κ": "k", "μ": "u",
    "ν": "v", "ο": "o", "ρ": "p", "σ": "o", "ς": "c", "τ": "t", "υ": "u", "χ": "x",
    "ω": "w",
    # Latin oddities
    "ı": "i", "ȷ": "j", "ɑ": "a", "ɡ": "g", "ɩ": "i", "ʟ": "l", "ꞵ": "b",
    "œ": "oe", "æ": "ae", "ø": "o", "đ": "d", "ħ": "h", "ł": "l", "ŀ": "l", "þ": "th",
}  # fmt: skip

# l33t: digits and symbols standing for letters. "1", "l" and "i" all fold to
# "i" so that both "k1ll" and "kiII" reach the same skeleton as "kill".
_LEET = {
    "0": "o", "1": "i", "l": "i", "3": "e", "4": "a", "5": "s", "7": "t",
    "@": "a", "$": "s",
}  # fmt: skip

_DROPPED_CATEGORIES = {"Mn", "Me", "Cf"}  # combining marks, zero-width and format characters


def _fold_char(ch: str, leet: bool) -> str:
    """The skeleton of one character: "" to drop it, exactly " " for any white space."""
    if ch.isspace():
        return " "
    out = []
    for part in unicodedata.normalize("NFKD", ch).casefold():
        if unicodedata.category(part) in _DROPPED_CATEGORIES:
            continue
        part = unicodedata.normalize("NFKD", _CONFUSABLES.get(part, part))
        for c in part:
            if unicodedata.category(c) in _DROPPED_CATEGORIES:
                continue
            out.append(_LEET.get(c, c) if leet else c)
    folded = "".join(out)
    # Compatibility forms like "\u00a8" decompose to a space plus a mark: keep spaces
    # only as whole characters, so collapsing runs of them stays offset-safe.
    return " " if folded.isspace() else folded.replace(" ", "")


class _FoldTable(dict):
    """A `str.translate` table that fills itself in on first sight of each character."""

    def __init__(self, leet: bool) -> None:
        super().__init__()
        self.leet = leet
        self.irregular: set[str] = set()  # characters that do not fold to exactly one

    def __missing__(self, code: int) -> str:
        folded = self[code] = _fold_char(chr(code), self.leet)
        if len(folded) != 1:
            self.irregular.add(chr(code))
        return folded


_TABLES = {True: _FoldTable(True), False: _FoldTable(False)}
_DROPPED_SPACES_RE = re.compile("^ +|(?<= ) +")  # leading ones, and all but one of a run


class Normalized:
    """Folded text, and (computed only when a match needs it) where each folded
    character came from in the original text."""

    def __init__(self, original: str, leet: bool) -> None:
        self.original = original
        self.leet = leet
        self._folded = original.translate(_TABLES[leet])  # white space not yet collapsed
        self.text = _DROPPED_SPACES_RE.sub("", self._folded)

    @functools.cached_property
    def origins(self) -> tuple[int, ...]:
        """Index in the original text of each character of `text`."""
        table = _TABLES[self.leet]
        if table.irregular.isdisjoint(self.original):
            folded_origins: Sequence[int] = range(len(self.original))  # one to one
        else:
            folded_origins = [
                index for index, ch in enumerate(self.original) for _ in table[ord(ch)]
            ]
        kept, last = [], 0
        for match in _DROPPED_SPACES_RE.finditer(self._folded):
            kept.append(folded_origins[last : match.start()])
            last = match.end()
        kept.append(folded_origins[last:])
        return tuple(itertools.chain.from_iterable(kept))

    def span(self, start: int, end: int) -> tuple[int, int]:
        """Map a folded [start, end) back to the original text, trailing accents included."""
        first = self.origins[start]
        stop = self.origins[end - 1] + 1
        original = self.original
        while stop < len(original) and unicodedata.category(original[stop]) in ("Mn", "Me"):
            stop += 1
        return first, stop


@functools.lru_cache(maxsize=1024)
def normalize(text: str, leet: bool = True) -> Normalized:
    """Fold `text` (see module docstring); runs of white space become one space.

    `leet=False` keeps digits as digits, for matching product names like "Nova 2".
    """
    return Normalized(text, leet)


def fold(text: str, leet: bool = True) -> str:
    """Only the folded text, for terms and catalogue names."""
    return normalize(text, leet).text.strip()


def is_word_char(ch: str) -> bool:
    return ch.isalnum() or ch == "_"
