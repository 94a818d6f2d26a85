"""Banned terms: tens of thousands of words matched in one pass.

Terms and text are folded the same way (see `normalize`), all terms go into one
Aho-Corasick automaton, and each hit is checked against word boundaries in the
folded text, so "class" does not trip over a banned "ass". A term written with
a leading or trailing `*` ("arnaqu*") may sit inside a longer word on that side.
"""

from __future__ import annotations

from typing import NamedTuple

import ahocorasick

from .base import BLOCK, Context, Draft, Finding, Rule, Template
from .normalize import Normalized, fold, is_word_char, normalize
from .options import Options

BANNED = Template('Banned term "{term}".')
BANNED_WRITTEN = Template('Banned term "{term}" (written "{seen}").')


class Term(NamedTuple):
    key: str  # the folded spelling matched
    display: str
    length: int
    open_left: bool
    open_right: bool


class TermMatcher:
    """Finds folded terms in folded text, honouring word boundaries."""

    def __init__(self, terms: dict[str, Term], leet: bool = True) -> None:
        self.leet = leet
        self._automaton = ahocorasick.Automaton()
        for key, term in terms.items():
            self._automaton.add_word(key, term)
        self._empty = not terms
        if terms:
            self._automaton.make_automaton()

    def find(self, text: str) -> list[tuple[Term, tuple[int, int]]]:
        """(term, span in the original text) for each bounded occurrence."""
        if self._empty:
            return []
        norm = normalize(text, self.leet)
        hits = []
        for last, term in self._automaton.iter(norm.text):
            start, end = last + 1 - term.length, last + 1
            if _bounded(norm, start, end, term):
                hits.append((term, norm.span(*_whole_word(norm.text, start, end))))
        return hits


def _whole_word(folded: str, start: int, end: int) -> tuple[int, int]:
    """Widen a match inside a longer word ("arnaqu*" in "arnaqueur") to the whole word."""
    while start > 0 and is_word_char(folded[start - 1]):
        start -= 1
    while end < len(folded) and is_word_char(folded[end]):
        end += 1
    return start, end


def _bounded(norm: Normalized, start: int, end: int, term: Term) -> bool:
    folded = norm.text
    if not term.open_left and start > 0 and is_word_char(folded[start - 1]):
        return False
    return term.open_right or end >= len(folded) or not is_word_char(folded[end])


def parse_term(raw: str, whole_words: bool, leet: bool = True) -> tuple[str, Term] | None:
    """Folded key and `Term` for one configured term; None when nothing is left to match."""
    open_left = raw.startswith("*") or not whole_words
    open_right = raw.endswith("*") or not whole_words
    key = fold(raw.strip("*"), leet)
    if not key:
        return None
    return key, Term(key, raw.strip(), len(key), open_left, open_right)


class BannedTermsRule(Rule):
    kind = "banned_terms"
    reads_images = True
    default_severity = BLOCK

    def __init__(self, rule_id: str, severity: str, matcher: TermMatcher) -> None:
        super().__init__(rule_id, severity)
        self.matcher = matcher

    @classmethod
    def from_config(cls, rule_id: str, severity: str, opts: Options) -> BannedTermsRule:
        whole_words = opts.boolean("whole_words", True)
        terms: dict[str, Term] = {}
        for number, raw in enumerate(opts.strings("terms"), start=1):
            parsed = parse_term(raw, whole_words)
            if parsed is None:
                raise opts.error(
                    "terms",
                    "item {item}: term {term!r} has no letters or digits to match",
                    item=number,
                    term=raw,
                )
            terms.setdefault(*parsed)
        file_name = opts.string("terms_file")
        for number, raw in opts.read_lines("terms_file"):
            parsed = parse_term(raw, whole_words)
            if parsed is None:
                raise opts.error(
                    "terms_file",
                    "{file} line {line}: term {term!r} has no letters or digits to match",
                    file=file_name,
                    line=number,
                    term=raw,
                )
            terms.setdefault(*parsed)
        return cls(rule_id, severity, TermMatcher(terms))

    def evaluate(self, draft: Draft, context: Context) -> list[Finding]:
        findings = []
        for term, span in self.matcher.find(draft.text):
            seen = draft.text[span[0] : span[1]]
            if seen == term.display:
                findings.append(self.finding(BANNED, span, term=term.display))
            else:
                findings.append(self.finding(BANNED_WRITTEN, span, term=term.display, seen=seen))
        return findings
