"""Post text cut into pieces for display: findings marked, and word diffs between revisions.

Templates render the pieces with autoescaping, so no post text is ever trusted as HTML.
"""

from __future__ import annotations

import difflib
import itertools
import re
from dataclasses import dataclass
from typing import Any

_TOKENS = re.compile(r"\s+|\w+|[^\w\s]", re.UNICODE)


@dataclass(frozen=True)
class Piece:
    """A run of text, with the findings that cover it (none for plain text)."""

    text: str
    findings: tuple[dict[str, Any], ...] = ()

    @property
    def severity(self) -> str:
        return "block" if any(f["severity"] == "block" for f in self.findings) else "flag"


def highlight(text: str, findings: list[dict[str, Any]]) -> list[Piece]:
    """Split ``text`` at every span boundary so overlapping findings all stay visible."""
    # A finding on the text read in an image has its span there, not in the post's text.
    spans = [f for f in findings or [] if f.get("span") and f.get("image") is None]
    cuts = {0, len(text)}
    for f in spans:
        start, end = f["span"]
        cuts.update((max(0, min(start, len(text))), max(0, min(end, len(text)))))
    edges = sorted(cuts)
    pieces = []
    for start, end in itertools.pairwise(edges):
        covering = tuple(f for f in spans if f["span"][0] <= start and end <= f["span"][1])
        pieces.append(Piece(text[start:end], covering))
    return [p for p in pieces if p.text]


@dataclass(frozen=True)
class Change:
    """``op`` is ``equal``, ``insert`` or ``delete``."""

    op: str
    text: str


def word_diff(old: str, new: str) -> list[Change]:
    """What changed from ``old`` to ``new``, word by word (spaces kept)."""
    a, b = _TOKENS.findall(old), _TOKENS.findall(new)
    changes: list[Change] = []
    matcher = difflib.SequenceMatcher(a=a, b=b, autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            changes.append(Change("equal", "".join(a[i1:i2])))
            continue
        if i2 > i1:
            changes.append(Change("delete", "".join(a[i1:i2])))
        if j2 > j1:
            changes.append(Change("insert", "".join(b[j1:j2])))
    return changes
