"""A loaded rule set: the rules of each account and the version they share."""

from __future__ import annotations

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
        return Evaluation(self.version, sort_findings(findings))

    def __repr__(self) -> str:
        return f"<RuleSet {self.version} {len(self._rules)} rules, {len(self._accounts)} accounts>"
