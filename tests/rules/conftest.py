"""Helpers to build small rule sets from inline TOML and evaluate drafts."""

from __future__ import annotations

import json
import textwrap
from datetime import UTC, datetime
from pathlib import Path

import pytest

from postgate.platforms.registry import PLATFORMS
from rules import VERBATIM, Context, Draft, Evaluation, Finding, RuleSet, load_ruleset, templates

REPO = Path(__file__).resolve().parents[2]
NOW = datetime(2025, 11, 26, 10, 0, tzinfo=UTC)  # a Wednesday

CATALOG = """\
sku,name,aliases,price,currency,promo_price,promo_start,promo_end
AUR-100,Casque Aurora,Aurora Headphones,99.99,EUR,79.99,2025-11-28,2025-12-01
AUR-200,Casque Aurora Pro,Aurora Pro,1299.00,EUR,,,
NOV-010,Enceinte Nova,Nova Speaker,49.00,EUR,,,
UK-001,Lumen Lamp,,29.99,GBP,,,
"""


class Rules:
    """Writes rules (and a catalogue) into a temp folder and evaluates drafts against them."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def load(self, toml: str, catalog: str | None = None) -> RuleSet:
        rules_path = self.folder / "rules.toml"
        rules_path.write_text(textwrap.dedent(toml), encoding="utf-8")
        catalog_path = None
        if catalog is not None:
            catalog_path = self.folder / "catalog.csv"
            catalog_path.write_text(catalog, encoding="utf-8")
        return load_ruleset(rules_path, catalog_path)

    def check(self, toml: str, text: str, catalog: str | None = None, **kw) -> Evaluation:
        return evaluate(self.load(toml, catalog), text, **kw)


def evaluate(
    ruleset: RuleSet,
    text: str,
    account: str = "acme",
    platform: str = "mastodon",
    scheduled_at: datetime | None = None,
    media_count: int = 0,
    crisis_statement: bool = False,
    images: tuple = (),
    **context,
) -> Evaluation:
    draft = Draft(
        text, account, platform, scheduled_at, media_count, crisis_statement, tuple(images)
    )
    spec = PLATFORMS.get(platform)  # the limits Postgate hands in with the context
    context.setdefault("limits", spec.limits if spec else None)
    evaluation = ruleset.evaluate(draft, Context(now=context.pop("now", NOW), **context))
    for finding in evaluation.findings:
        assert_translatable(finding)
    return evaluation


def assert_translatable(finding: Finding) -> None:
    """Every finding of every rules test: a known template that fills in to its message."""
    assert finding.template in (*templates(), VERBATIM), finding
    assert finding.template.format(**finding.params) == finding.message
    assert json.loads(json.dumps(finding.to_dict())) == finding.to_dict()


def spans(evaluation: Evaluation, text: str) -> list[str]:
    return [text[f.span[0] : f.span[1]] for f in evaluation.findings if f.span]


@pytest.fixture
def rules(tmp_path: Path) -> Rules:
    return Rules(tmp_path)
