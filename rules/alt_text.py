"""Alternative text: every image needs one, no longer than its platform reads.

A picture without a description is lost on anyone using a screen reader, and most platforms
cut or refuse a description past their limit (Mastodon 1,500 characters, X 1,000, Bluesky
2,000): the limit arrives with the platform's limits in the context, and ``max_length``
(a table by platform name) overrides it.
"""

from __future__ import annotations

from dataclasses import replace

from .base import BLOCK, Context, Draft, Finding, Rule, Template
from .limits import _grapheme_count
from .options import Options

NO_ALT = Template(
    "Image {image} has no alternative text: describe it for people who cannot see it."
)
ALT_TOO_LONG = Template(
    "The alternative text of image {image} is {used} characters long; {platform} allows {limit}."
)


class AltTextRule(Rule):
    kind = "alt_text"
    default_severity = BLOCK

    def __init__(self, rule_id: str, severity: str, lengths: dict[str, int]) -> None:
        super().__init__(rule_id, severity)
        self.lengths = dict(lengths)

    @classmethod
    def from_config(cls, rule_id: str, severity: str, opts: Options) -> AltTextRule:
        return cls(rule_id, severity, opts.int_table("max_length"))

    def evaluate(self, draft: Draft, context: Context) -> list[Finding]:
        limit = self.lengths.get(draft.platform)
        if limit is None and context.limits is not None:
            limit = context.limits.max_alt_length
        findings = []
        for image in draft.images:
            if not image.alt.strip():
                found = self.finding(NO_ALT, image=image.position)
            elif limit is not None and (used := _grapheme_count(image.alt)) > limit:
                found = self.finding(
                    ALT_TOO_LONG,
                    image=image.position,
                    used=used,
                    platform=draft.platform,
                    limit=limit,
                )
            else:
                continue
            findings.append(replace(found, image=image.position))
        return findings
