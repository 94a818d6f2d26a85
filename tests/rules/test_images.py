"""Images in the rules: every image needs alternative text within its platform's limit, and
the text read in an image goes through the terms, prices, links and personal-data rules,
each finding naming its image (issue 13)."""

from __future__ import annotations

import pytest

from rules import DraftImage
from tests.rules.conftest import CATALOG, evaluate

RULES = """
[[rules]]
id = "banned-terms"
kind = "banned_terms"
terms = ["arnaqu*"]

[[rules]]
id = "links"
kind = "links"
block = ["bit.ly"]

[[rules]]
id = "prices"
kind = "prices"

[[rules]]
id = "personal"
kind = "personal_data"

[[rules]]
id = "alt-text"
kind = "alt_text"
"""


@pytest.fixture
def ruleset(rules):
    return rules.load(RULES, CATALOG)


def _by_rule(evaluation, rule):
    return [f for f in evaluation.findings if f.rule == rule]


def test_an_image_without_alt_text_blocks_and_is_named(ruleset):
    images = (DraftImage(1, "Une lampe sur un bureau"), DraftImage(2, "  "))
    found = _by_rule(evaluate(ruleset, "Nouveau !", images=images), "alt-text")
    assert [(f.image, f.severity) for f in found] == [(2, "block")]
    assert "Image 2" in found[0].message


@pytest.mark.parametrize(
    ("platform", "limit"), [("mastodon", 1500), ("x", 1000), ("bluesky", 2000)]
)
def test_alt_text_longer_than_the_platform_reads_blocks(ruleset, platform, limit):
    fits = evaluate(ruleset, "Hi", platform=platform, images=(DraftImage(1, "a" * limit),))
    over = evaluate(ruleset, "Hi", platform=platform, images=(DraftImage(1, "a" * (limit + 1)),))
    assert not _by_rule(fits, "alt-text")
    assert [f.params["limit"] for f in _by_rule(over, "alt-text")] == [limit]


def test_alt_text_limit_can_be_configured(rules):
    ruleset = rules.load(
        '[[rules]]\nid = "alt"\nkind = "alt_text"\nseverity = "flag"\n'
        "max_length = { mastodon = 10 }\n",
        CATALOG,
    )
    found = evaluate(ruleset, "Hi", images=(DraftImage(1, "a" * 11),)).findings
    assert [(f.rule, f.severity, f.params["limit"]) for f in found] == [("alt", "flag", 10)]


def test_a_wrong_price_in_an_image_is_found_and_names_the_image(ruleset):
    picture = DraftImage(2, "Casque en promotion", text="SOLDES\nCasque Aurora Pro à 9,99 €")
    evaluation = evaluate(ruleset, "Nos soldes !", images=(DraftImage(1, "Logo"), picture))
    found = _by_rule(evaluation, "prices")
    assert found and all(f.image == 2 for f in found)
    passage = "SOLDES / Casque Aurora Pro à 9,99 €"  # lines are layout, read as one passage
    assert found[0].image_text == passage
    start, end = found[0].span
    assert "9,99" in passage[start:end]
    assert found[0].to_dict()["image"] == 2 and found[0].to_dict()["image_text"] == passage


def test_a_product_and_its_price_on_separate_lines_are_read_together(ruleset):
    picture = DraftImage(1, "Affiche", text="PROMO\nCasque Aurora Pro\n\n129,90 €\n")
    found = _by_rule(evaluate(ruleset, "Nos soldes !", images=(picture,)), "prices")
    assert [f.image for f in found] == [1]


def test_terms_links_and_personal_data_are_read_in_images(ruleset):
    images = (
        DraftImage(1, "a", text="quelle arnaque"),
        DraftImage(2, "b", text="voir bit.ly/promo"),
        DraftImage(3, "c", text="appelez le 06 12 34 56 78"),
    )
    evaluation = evaluate(ruleset, "Bonjour", images=images)
    assert {(f.rule, f.image) for f in evaluation.findings} >= {
        ("banned-terms", 1),
        ("links", 2),
        ("personal", 3),
    }


def test_the_right_price_in_an_image_finds_nothing(ruleset):
    picture = DraftImage(1, "Casque", text="Casque Aurora Pro à 1299,00 €")
    assert not evaluate(ruleset, "Nos soldes !", images=(picture,)).findings


def test_findings_of_the_post_text_name_no_image(ruleset):
    evaluation = evaluate(ruleset, "Quelle arnaque", images=(DraftImage(1, "x", text="Bonjour"),))
    assert [(f.rule, f.image) for f in evaluation.findings] == [("banned-terms", None)]
    assert "image" not in evaluation.findings[0].to_dict()


def test_an_image_larger_than_the_platform_takes_blocks(rules):
    ruleset = rules.load('[[rules]]\nid = "limits"\nkind = "platform_limits"\n', CATALOG)
    big = DraftImage(2, "Affiche", size=1_200_000)
    on_bluesky = evaluate(ruleset, "Hi", platform="bluesky", images=(DraftImage(1, "a"), big))
    assert [(f.rule, f.image, f.params["limit"]) for f in on_bluesky.findings] == [
        ("limits", 2, 1_000_000)
    ]
    assert not evaluate(ruleset, "Hi", platform="mastodon", images=(big,)).findings
