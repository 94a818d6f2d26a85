"""Each kind of rule as a form: values read from the TOML, typed values checked naming the
field and line, the edit kept to the option changed, and every loosening a form can make
detected (a second person must approve it), while tightening takes effect at once."""

from __future__ import annotations

import tomllib
from datetime import date
from pathlib import Path

import pytest

from postgate.errors import ValidationFailed
from postgate.services import rule_forms
from postgate.services.rule_changes import loosening
from rules import RULE_KINDS
from rules.config import parse_ruleset

SHIPPED = Path("config/rules.toml").read_text(encoding="utf-8")


def _rule(text: str, rule_id: str) -> dict:
    return next(r for r in tomllib.loads(text)["rules"] if r["id"] == rule_id)


def test_every_kind_has_a_form_and_the_shipped_rules_show_in_it():
    assert set(rule_forms.FIELDS) == set(RULE_KINDS)
    shown = {r["id"]: r for r in rule_forms.rules_shown(SHIPPED)}
    links = {f["name"]: f for f in shown["links"]["fields"]}
    assert links["block"]["text"].splitlines()[0] == "bit.ly"
    assert links["unlisted_severity"]["value"] == "flag"
    assert {f["name"]: f["value"] for f in shown["prices"]["fields"]} == {"distance": 60}
    dates = {f["name"]: f for f in shown["schedule"]["fields"]}["blackout_dates"]
    assert dates["value"][0] == "2025-12-25" and "2026-05-01" in dates["text"]
    assert shown["duplicates"]["fields"][0]["value"] == 0.9
    assert shown["freeze"]["fields"] == []


def _apply(rule_id: str, severity: str | None = None, **given: object) -> str:
    edited = rule_forms.apply(SHIPPED, rule_id, severity, given)
    catalog = Path("config/catalog.csv").read_bytes()
    assert parse_ruleset(edited.encode(), catalog, base="config").rules_for("acme")  # valid
    assert edited.count("# ---") == SHIPPED.count("# ---")  # comments kept
    return edited


TIGHTENING = [
    ("links", {"block": "bit.ly\ntinyurl.com\ngrabify.link\niplogger.org\nevil.example"}),
    ("links", {"allow": "acme.fr\nacme.com\nacme-group.eu\nyoutube.com"}),
    ("links", {"unlisted_severity": "block"}),
    (
        "banned-terms",
        {
            "terms": "arnaqu*\nconnard\nbullshit\nscam\n100% garanti\n"
            "guaranteed returns\nget rich quick\nfraude"
        },
    ),
    ("prices", {"distance": "120"}),
    ("duplicates", {"threshold": "0,8"}),
    ("schedule", {"blackout_dates": "2025-12-25\n2026-01-01\n2026-05-01\n2026-07-14"}),
    ("contact-details", {"allow_email_domains": "acme.fr"}),
    ("payment-data", {"types": ["card", "iban", "email"]}),
    ("internal-ticket", {"message": "Pas de numéro de ticket interne."}),
]


@pytest.mark.parametrize(("rule_id", "given"), TIGHTENING)
def test_a_tightening_form_saves_without_a_second_person(rule_id, given):
    edited = _apply(rule_id, **given)
    assert edited != SHIPPED
    assert loosening(SHIPPED, edited, None, None) == []


LOOSENING = [
    (
        "links",
        None,
        {"block": "bit.ly\ntinyurl.com\ngrabify.link"},
        "iplogger.org removed from block",
    ),
    (
        "links",
        None,
        {"allow": "acme.fr\nacme.com\nacme-group.eu\nyoutube.com\nlinkedin.com\nevil.example"},
        "evil.example added to allow",
    ),
    ("links", "flag", {}, "lowered from block to flag"),
    ("banned-terms", None, {"terms": "connard"}, "arnaqu*, bullshit"),
    ("prices", None, {"distance": "10"}, "distance lowered from 60 to 10"),
    ("duplicates", None, {"threshold": "0.95"}, "threshold raised from 0.9 to 0.95"),
    ("platform-limits", None, {"max_length": "x = 300"}, "max_length for x set to 300"),
    ("alt-text", None, {"max_length": "mastodon = 5000"}, "max_length for mastodon set"),
    ("schedule", None, {"blackout_dates": "2025-12-25"}, "2026-01-01, 2026-05-01 removed"),
    (
        "contact-details",
        None,
        {"allow_email_domains": "acme.fr\nacme.com\ngmail.com"},
        "gmail.com added to allow_email_domains",
    ),
    ("payment-data", None, {"types": ["card"]}, "iban removed from types"),
    ("internal-ticket", None, {"pattern": r"\bJIRA-\d+\b"}, "pattern changed"),
    ("internal-ticket", None, {"ignore_case": False}, "ignore_case turned off"),
]


@pytest.mark.parametrize(("rule_id", "severity", "given", "reason"), LOOSENING)
def test_each_loosening_a_form_can_make_is_detected(rule_id, severity, given, reason):
    edited = _apply(rule_id, severity, **given)
    found = loosening(SHIPPED, edited, None, None)
    assert any(reason in r for r in found), found


def test_a_raised_limit_and_a_removed_unlisted_severity_loosen():
    limited = rule_forms.apply(SHIPPED, "platform-limits", None, {"max_length": "x = 200"})
    raised = rule_forms.apply(limited, "platform-limits", None, {"max_length": {"x": 250}})
    assert loosening(limited, raised, None, None) == [
        'rule "platform-limits": max_length for x raised from 200 to 250'
    ]
    assert loosening(raised, limited, None, None) == []
    back = rule_forms.apply(limited, "platform-limits", None, {"max_length": ""})
    assert "back to its default" in loosening(limited, back, None, None)[0]
    strict = rule_forms.apply(SHIPPED, "links", None, {"unlisted_severity": "block"})
    assert "unlisted_severity" in _rule(strict, "links")
    lax = rule_forms.apply(strict, "links", None, {"unlisted_severity": "flag"})
    assert "unlisted_severity" not in _rule(lax, "links")  # the default: the line goes
    assert loosening(strict, lax, None, None) == [
        'rule "links": unlisted_severity lowered from block to flag'
    ]


def test_values_are_stored_as_toml_of_their_type():
    edited = rule_forms.apply(
        SHIPPED, "schedule", None, {"blackout_dates": ["2026-12-24", "2026-12-25"]}
    )
    assert _rule(edited, "schedule")["blackout_dates"] == [date(2026, 12, 24), date(2026, 12, 25)]
    edited = rule_forms.apply(edited, "duplicates", None, {"threshold": 0.75})
    assert _rule(edited, "duplicates")["threshold"] == 0.75
    edited = rule_forms.apply(edited, "platform-limits", None, {"max_media": "x = 2\nbluesky: 3"})
    assert _rule(edited, "platform-limits")["max_media"] == {"x": 2, "bluesky": 3}
    assert _rule(edited, "links")["allow"] == _rule(SHIPPED, "links")["allow"]


@pytest.mark.parametrize(
    ("rule_id", "given", "field", "words"),
    [
        ("links", {"block": "bit.ly\nnot a domain"}, "block", "line 2"),
        ("schedule", {"blackout_dates": "2026-12-25\n25/12/2026"}, "blackout_dates", "line 2"),
        ("prices", {"distance": "far"}, "distance", "whole number"),
        ("prices", {"distance": "0"}, "distance", "between"),
        ("duplicates", {"threshold": "2"}, "threshold", "between"),
        ("platform-limits", {"max_length": "x = 280\nmyspace = 9"}, "max_length", "line 2"),
        ("platform-limits", {"max_media": "x = lots"}, "max_media", "line 1"),
        ("internal-ticket", {"pattern": "(unclosed"}, "pattern", "regular expression"),
        ("internal-ticket", {"pattern": ""}, "pattern", "regular expression"),
        ("payment-data", {"types": ["card", "ssn"]}, "types", "ssn"),
        ("links", {"unlisted_severity": "maybe"}, "unlisted_severity", "maybe"),
        ("links", {"colour": "red"}, "colour", "not an option"),
        ("nope", {}, "rule", "nope"),
    ],
)
def test_bad_values_name_the_field_and_line(rule_id, given, field, words):
    with pytest.raises(ValidationFailed) as caught:
        rule_forms.apply(SHIPPED, rule_id, None, given)
    assert caught.value.field == field and words in caught.value.message, caught.value.message


def test_a_bad_severity_names_its_field():
    with pytest.raises(ValidationFailed) as caught:
        rule_forms.apply(SHIPPED, "links", "maybe", {})
    assert caught.value.field == "severity"


WINDOWS = "mon-fri 08:00-20:00\nsat 10:00-14:00"


@pytest.mark.parametrize(
    ("after", "reason"),
    [
        ("mon-fri 08:00-21:00\nsat 10:00-14:00", "mon 20:00 now allowed"),
        ("mon-sun 08:00-20:00", "sat 08:00 now allowed"),
        ("", "mon 00:00 now allowed"),  # no window: any time
        ("mon-fri 09:00-20:00\nsat 10:00-12:00", None),
        ("MON-FRI 08:00-20:00\nsat 10:00-14:00", None),  # the same, as typed
    ],
)
def test_widening_a_posting_window_loosens(after, reason):
    base = rule_forms.apply(SHIPPED, "schedule", None, {"windows": WINDOWS})
    assert loosening(SHIPPED, base, None, None) == []  # a first window only narrows
    edited = rule_forms.apply(base, "schedule", None, {"windows": after})
    found = loosening(base, edited, None, None)
    if reason is None:
        assert found == []
    else:
        assert found == [f'rule "schedule": posting windows widened ({reason})']


def test_the_organisation_windows_apply_to_accounts_without_their_own():
    from datetime import UTC, datetime

    from rules import Context, Draft

    edited = rule_forms.apply(SHIPPED, "schedule", None, {"windows": "mon-fri 08:00-20:00"})
    ruleset = parse_ruleset(edited.encode(), Path("config/catalog.csv").read_bytes(), base="config")
    late = datetime(2030, 1, 7, 22, 0, tzinfo=UTC)  # a Monday, 22:00
    draft = Draft(text="Bonsoir", account="acme", platform="sandbox", scheduled_at=late)
    own = Context(now=late, timezone="UTC", windows=("mon-sun 00:00-24:00",))
    found = ruleset.evaluate(draft, Context(now=late, timezone="UTC")).findings
    assert "schedule" in [f.rule for f in found]
    assert "schedule" not in [f.rule for f in ruleset.evaluate(draft, own).findings]


def test_a_bad_window_names_its_line():
    with pytest.raises(ValidationFailed) as caught:
        rule_forms.apply(SHIPPED, "schedule", None, {"windows": "mon-fri 08:00-20:00\nlundi 8h"})
    assert caught.value.field == "windows" and "line 2" in caught.value.message
