"""Pattern rules: one regular expression, one message, one severity per entry.

For the things a word list cannot say ("an internal ticket number", "a
promise of guaranteed returns"), each with a message the reviewer will read.
"""

from __future__ import annotations

import re

from .base import FLAG, VERBATIM, Context, Draft, Finding, Rule, Template
from .options import Options

MATCHES = Template("Matches the pattern of rule {rule}.")


class PatternRule(Rule):
    kind = "pattern"
    default_severity = FLAG

    def __init__(
        self, rule_id: str, severity: str, regex: re.Pattern[str], message: str | None
    ) -> None:
        super().__init__(rule_id, severity)
        self.regex = regex
        # The administrator's message is shown as written; without one, a generic message.
        self.template, self.params = (
            (VERBATIM, {"text": message}) if message else (MATCHES, {"rule": rule_id})
        )

    @classmethod
    def from_config(cls, rule_id: str, severity: str, opts: Options) -> PatternRule:
        source = opts.string("pattern")
        if not source:
            raise opts.error("pattern", "a pattern rule needs a regular expression")
        message = opts.string("message") or None
        flags = re.IGNORECASE if opts.boolean("ignore_case", True) else 0
        try:
            regex = re.compile(source, flags)
        except re.error as exc:
            raise opts.error(
                "pattern",
                "invalid regular expression {pattern!r}: {reason}",
                pattern=source,
                reason=str(exc),
            ) from None
        if regex.match(""):
            raise opts.error(
                "pattern",
                "{pattern!r} matches empty text, so it would match anywhere",
                pattern=source,
            )
        return cls(rule_id, severity, regex, message)

    def evaluate(self, draft: Draft, context: Context) -> list[Finding]:
        return [
            self.finding(self.template, m.span(), **self.params)
            for m in self.regex.finditer(draft.text)
        ]
