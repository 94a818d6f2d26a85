"""A loaded rule set: the rules of each account and the version they share."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from .base import Context, Draft, Evaluation, Finding, Rule, sort_findings


class RuleSet:
    """Immutable once loaded; safe to share between threads and requests.

    ``sources`` are the files it was read from (rules, catalogue, terms files), so a caller
    caching it can tell when any of them changes.
    """

    def __init__(
        self,
        version: str,
        rules: tuple[Rule, ...],
        accounts: dict[str, tuple[Rule, ...]],
        sources: tuple[Path, ...] = (),
    ) -> None:
        self.version = version
        self._rules = rules
        self._accounts = accounts
        self.sources = sources

    def rules_for(self, account: str) -> tuple[Rule, ...]:
        """The organisation's rules with the account's overrides applied."""
        return self._accounts.get(account, self._rules)

    def evaluate(self, draft: Draft, context: Context) -> Evaluation:
        findings: list[Finding] = []
        for rule in self.rules_for(draft.account):
            findings.extend(rule.evaluate(draft, context))
            if rule.reads_images:
                findings.extend(_image_findings(rule, draft, context))
        return Evaluation(self.version, sort_findings(findings))

    def __repr__(self) -> str:
        return f"<RuleSet {self.version} {len(self._rules)} rules, {len(self._accounts)} accounts>"


def image_passage(text: str) -> str:
    """The text read in an image as one passage: its lines are layout, not sentences (a
    product's name on one line and its price on the next belong together)."""
    return " / ".join(line.strip() for line in text.splitlines() if line.strip())


def _image_findings(rule: Rule, draft: Draft, context: Context) -> list[Finding]:
    """The rule run on the text read in each image, as if it were the post's text; each
    finding names its image and carries the passage it was found in (its span is there)."""
    found: list[Finding] = []
    for image in draft.images:
        passage = image_passage(image.text)
        if not passage:
            continue
        seen = replace(draft, text=passage, images=(), media_count=0)
        found.extend(
            replace(f, image=image.position, image_text=passage)
            for f in rule.evaluate(seen, context)
        )
    return found
