"""Finding messages: each one is a known template filled in, so the web layer can translate it.

`CASES` makes every template of every rule kind fire at least once; a new template without a
case here fails `test_every_template_is_exercised`, and the gateway's catalog test then asks
for its French translation.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from postgate.services import account_warnings, quotas
from rules import VERBATIM, Context, Draft, DraftImage, Finding, Rule, templates
from tests.rules.conftest import CATALOG, NOW, evaluate

ALL_KINDS = """
[[rules]]
id = "banned-terms"
kind = "banned_terms"
terms = ["arnaqu*", "scam"]

[[rules]]
id = "ticket"
kind = "pattern"
severity = "block"
pattern = '\\bINC-\\d{3,}\\b'
message = "Pas de {numéro} de ticket interne."

[[rules]]
id = "claims"
kind = "pattern"
pattern = 'le moins cher'

[[rules]]
id = "links"
kind = "links"
allow = ["acme.fr"]
block = ["bit.ly"]

[[rules]]
id = "prices"
kind = "prices"

[[rules]]
id = "personal"
kind = "personal_data"

[[rules]]
id = "limits"
kind = "platform_limits"

[[rules]]
id = "schedule"
kind = "posting_window"
blackout_dates = [2025-12-25]

[[rules]]
id = "freeze"
kind = "freeze"

[[rules]]
id = "duplicates"
kind = "duplicates"

[[rules]]
id = "alt-text"
kind = "alt_text"
"""
CHRISTMAS = datetime(2025, 12, 25, 12, 0, tzinfo=UTC)
SATURDAY = datetime(2025, 11, 29, 12, 0, tzinfo=UTC)

# (text, keyword arguments for `evaluate`, the rule expected to speak)
CASES = [
    ("That is a scam", {}, "banned-terms"),
    ("Quelle arnaque", {}, "banned-terms"),
    ("Voir INC-1234", {}, "ticket"),
    ("Le moins cher !", {}, "claims"),
    ("Go to https://bit.ly/x", {}, "links"),
    ("Go to https://evil.com/x", {}, "links"),
    ("Go to https:///x", {}, "links"),
    ("Casque Aurora Pro à 999 €", {}, "prices"),
    ("Lumen Lamp 19,99 €", {}, "prices"),
    ("Casque Aurora à 89,99 €", {}, "prices"),
    ("Casque Aurora à 89,99 €", {"scheduled_at": SATURDAY}, "prices"),
    ("Card 4111 1111 1111 1111", {}, "personal"),
    ("IBAN FR76 3000 6000 0112 3456 7890 189", {}, "personal"),
    ("Write to jo@example.org", {}, "personal"),
    ("Call 06 12 34 56 78", {}, "personal"),
    ("Hello", {"platform": "myspace"}, "limits"),
    ("a" * 501, {}, "limits"),
    ("Hello", {"media_count": 5}, "limits"),
    ("Hello", {"platform": "instagram"}, "limits"),
    ("Hello", {"timezone": "Mars/Olympus_Mons"}, "schedule"),
    ("Hello", {"scheduled_at": CHRISTMAS}, "schedule"),
    ("Hello", {"windows": ("someday 25:00",)}, "schedule"),
    ("Hello", {"scheduled_at": SATURDAY, "windows": ("mon-fri 08:00-20:00",)}, "schedule"),
    ("Hello", {"frozen": True}, "freeze"),
    ("Our autumn sale starts", {"recent_posts": ("Our autumn sale starts",)}, "duplicates"),
    ("Hello", {"images": (DraftImage(1, ""),)}, "alt-text"),
    ("Hello", {"platform": "bluesky", "images": (DraftImage(1, "x", size=2_000_000),)}, "limits"),
    ("Hello", {"images": (DraftImage(1, "x" * 1501),)}, "alt-text"),
]


@pytest.fixture
def ruleset(rules):
    return rules.load(ALL_KINDS, CATALOG)


def _findings(ruleset, text: str, kw: dict, rule: str) -> list[Finding]:
    found = [f for f in evaluate(ruleset, text, **kw).findings if f.rule == rule]
    assert found, (text, kw, rule)
    return found


@pytest.mark.parametrize(("text", "kw", "rule"), CASES)
def test_each_finding_fills_a_known_template_in_to_its_message(ruleset, text, kw, rule):
    for finding in _findings(ruleset, text, kw, rule):
        assert finding.template in (*templates(), VERBATIM)
        assert finding.template.format(**finding.params) == finding.message
        stored = finding.to_dict()
        assert stored["template"] == finding.template
        assert stored["params"] == dict(finding.params)
        assert stored["message"] == finding.message  # what the API and stored rows carry


def test_every_template_is_exercised(ruleset):
    """Every template the rules make; the core's own (the quota and account warnings, tested
    with them) are registered too, for the catalogue's translation test, whichever tests ran
    before."""
    seen = {f.template for text, kw, rule in CASES for f in _findings(ruleset, text, kw, rule)}
    core = {quotas.TEMPLATE, *account_warnings.TEMPLATES.values()}
    assert (set(templates()) - core) | {VERBATIM} == seen


def test_english_messages_read_as_before(ruleset):
    def message(text: str, rule: str, **kw) -> str:
        return _findings(ruleset, text, kw, rule)[0].message

    assert message("Quelle arnaque", "banned-terms") == 'Banned term "arnaqu*" (written "arnaque").'
    assert message("That is a scam", "banned-terms") == 'Banned term "scam".'
    assert message("Casque Aurora à 89,99 €", "prices") == (
        'The post says "89,99 €" for Casque Aurora, but the catalogue price is 99.99 EUR '
        "(promotion 79.99 EUR, 2025-11-28 to 2025-12-01, not in force on that day)."
    )
    assert message("Go to https://bit.ly/x", "links") == (
        'The link "https://bit.ly/x" leads to bit.ly, on the blocked domain bit.ly.'
    )


def test_parameters_carry_no_english_words(ruleset):
    """Dates as ISO, windows as configured, one template per wording: nothing to translate."""
    outside = _findings(
        ruleset, "Hi", {"scheduled_at": SATURDAY, "windows": ("mon-fri 08:00-20:00",)}, "schedule"
    )[0]
    assert dict(outside.params) == {
        "date": "2025-11-29",
        "time": "12:00",
        "timezone": "UTC",
        "windows": "mon-fri 08:00-20:00",
    }
    assert date.fromisoformat(outside.params["date"]).weekday() == 5
    promo = _findings(ruleset, "Casque Aurora à 89,99 €", {"scheduled_at": SATURDAY}, "prices")[0]
    assert promo.params["start_date"] == "2025-11-28" and promo.params["promo_price"] == (
        "79.99 EUR"
    )
    phone = _findings(ruleset, "Call 06 12 34 56 78", {}, "personal")[0]
    assert dict(phone.params) == {}


def test_an_administrators_message_is_kept_as_written(ruleset):
    (finding,) = _findings(ruleset, "Voir INC-1234", {}, "ticket")
    assert finding.template == VERBATIM and finding.message == "Pas de {numéro} de ticket interne."


def test_a_rule_cannot_make_a_finding_from_a_plain_string():
    class Loose(Rule):
        def evaluate(self, draft, context):
            return [self.finding("Something happened.")]  # type: ignore[arg-type]

    with pytest.raises(TypeError, match="needs a Template"):
        Loose("loose", "flag").evaluate(Draft("x", "acme", "sandbox"), Context(now=NOW))


def test_a_finding_built_without_a_template_still_serialises():
    finding = Finding("old", "flag", "Stored before templates existed.")
    assert finding.to_dict()["template"] is None and finding.to_dict()["params"] == {}
    assert len({finding, Finding("old", "flag", "Stored before templates existed.")}) == 1
