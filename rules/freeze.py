"""Freeze: while a freeze is in force, only crisis statements may go out.

The publish worker enforces the freeze too; checking it here tells the author
and reviewer at once instead of at publish time.
"""

from __future__ import annotations

from .base import BLOCK, Context, Draft, Finding, Rule, Template
from .options import Options

FROZEN = Template(
    "A freeze is in force for this account: only a crisis statement "
    "marked by a security lead may be published."
)


class FreezeRule(Rule):
    kind = "freeze"
    default_severity = BLOCK

    @classmethod
    def from_config(cls, rule_id: str, severity: str, opts: Options) -> FreezeRule:
        return cls(rule_id, severity)

    def evaluate(self, draft: Draft, context: Context) -> list[Finding]:
        if context.frozen and not draft.crisis_statement:
            return [self.finding(FROZEN)]
        return []
