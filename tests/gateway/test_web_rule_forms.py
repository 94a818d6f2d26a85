"""The rules page's forms by kind: each kind's own fields, a save making a new version (in
force when it tightens, waiting for a second person with its reasons when it loosens), the
diff shown, and a bad value shown next to its field, naming it and its line."""

from __future__ import annotations

import re

import pytest

from gateway import create_app
from tests.helpers import Actors, WebActions

pytestmark = pytest.mark.store_neutral


@pytest.fixture
def strict(rt, totp_clock):
    app = create_app({"TESTING": True}, settings=rt.settings.with_overrides(step_up_seconds=0))
    web, actors = WebActions(app.test_client()), Actors(rt, None, totp_clock)
    ada = actors.create("ada", "admin")
    web.login(ada)
    return web, ada


def save(web, ada, rule_id: str, **fields):
    data = {
        "rule-csrf_token": web.csrf("/admin/rules"),
        "rule-rule": rule_id,
        "rule-otp": ada.code(),
    }
    for key, value in fields.items():
        data[key if key.startswith("rule-") else f"rule-f-{key}"] = value
    return web.client.post("/admin/rules/rule", data=data, follow_redirects=True)


def test_each_kind_shows_its_own_fields(strict):
    web, _ = strict
    page = web.client.get("/admin/rules").get_data(as_text=True)
    for name in (
        "terms",
        "pattern",
        "message",
        "allow",
        "block",
        "unlisted_severity",
        "distance",
        "types",
        "allow_email_domains",
        "blackout_dates",
        "threshold",
        "max_length",
    ):
        assert f'name="rule-f-{name}"' in page, name
    assert re.search(r'id="rule-f-distance-\d+" value="60"', page)
    assert 'value="iban" checked' in page and 'value="email">' in page
    assert 'name="rule-w-days"' in page and 'name="rule-w-start"' in page


CASES = [
    ("schedule", {"windows": "mon-fri 08:00-20:00", "rule-severity": "block"}, None),
    (
        "links",
        {
            "block": "bit.ly\ntinyurl.com\ngrabify.link\niplogger.org\nevil.example",
            "rule-severity": "block",
        },
        None,
    ),
    (
        "links",
        {"block": "bit.ly", "rule-severity": "block"},
        "grabify.link, iplogger.org removed from block",
    ),
    ("links", {"unlisted_severity": "block", "rule-severity": "block"}, None),
    ("prices", {"distance": "20", "rule-severity": "block"}, "distance lowered from 60 to 20"),
    (
        "duplicates",
        {"threshold": "0,97", "rule-severity": "flag"},
        "threshold raised from 0.9 to 0.97",
    ),
    (
        "platform-limits",
        {"max_length": "bluesky = 3000", "rule-severity": "block"},
        "max_length for bluesky set to 3000",
    ),
    (
        "schedule",
        {"blackout_dates": "2025-12-25\n2026-05-01", "rule-severity": "block"},
        "2026-01-01 removed from blackout_dates",
    ),
    (
        "schedule",
        {
            "blackout_dates": "2025-12-25\n2026-01-01\n2026-05-01\n2026-11-11",
            "rule-severity": "block",
        },
        None,
    ),
    (
        "payment-data",
        {"rule-has-types": "1", "types": ["card", "iban", "phone"], "rule-severity": "block"},
        None,
    ),
    (
        "payment-data",
        {"rule-has-types": "1", "types": ["iban"], "rule-severity": "block"},
        "card removed from types",
    ),
    (
        "internal-ticket",
        {
            "rule-has-ignore_case": "1",
            "rule-severity": "block",
            "pattern": r"\b(?:JIRA|INC|SUP)-\d{3,}\b",
        },
        "ignore_case turned off",
    ),
    (
        "contact-details",
        {"allow_email_domains": "acme.fr\nacme.com\nyahoo.fr", "rule-severity": "flag"},
        "yahoo.fr added to allow_email_domains",
    ),
]


@pytest.mark.parametrize(("rule_id", "fields", "reason"), CASES)
def test_a_form_saves_a_version_and_loosening_waits(strict, rule_id, fields, reason):
    web, ada = strict
    page = save(web, ada, rule_id, **fields).get_data(as_text=True)
    if reason is None:
        assert "is in force." in page and "takes effect once another admin" not in page
    else:
        assert "takes effect once another admin" in page
        assert reason in page
    assert f"rule &#39;{rule_id}&#39; edited" in page  # the note, with its diff next to it
    assert '<pre class="file diff"' in page and "\n+" in page


@pytest.mark.parametrize(
    ("rule_id", "fields", "field", "words"),
    [
        (
            "links",
            {"block": "bit.ly\nnot a domain", "rule-severity": "block"},
            "block",
            "block, line 2",
        ),
        ("prices", {"distance": "far", "rule-severity": "block"}, "distance", "far"),
        (
            "schedule",
            {"blackout_dates": "25/12/2026", "rule-severity": "block"},
            "blackout_dates",
            "line 1",
        ),
        (
            "platform-limits",
            {"max_media": "x: many", "rule-severity": "block"},
            "max_media",
            "line 1",
        ),
        (
            "internal-ticket",
            {"pattern": "(open", "rule-severity": "block"},
            "pattern",
            "regular expression",
        ),
    ],
)
def test_a_bad_value_shows_next_to_its_field(strict, rule_id, fields, field, words):
    web, ada = strict
    answer = save(web, ada, rule_id, **fields)
    assert answer.status_code == 422
    page = answer.get_data(as_text=True)
    form = page[page.index(f'id="rule-{rule_id}"') :]
    form = form[: form.index("</details>")]
    assert " open>" in form.split("\n")[0]
    at = form.index(f'name="rule-f-{field}"')
    error = form.index('class="error" role="alert"')
    assert error > at and words in form[error:]
    typed = next(v for k, v in fields.items() if not k.startswith("rule-"))
    assert typed.split("\n")[-1] in form  # what was typed is kept


def test_widening_the_posting_windows_waits_for_a_second_person(strict):
    web, ada = strict
    first = save(web, ada, "schedule", windows="mon-fri 08:00-20:00", **{"rule-severity": "block"})
    assert "is in force." in first.get_data(as_text=True)
    wider = save(
        web, ada, "schedule", windows="mon-fri 08:00-22:00", **{"rule-severity": "block"}
    ).get_data(as_text=True)
    assert "takes effect once another admin" in wider
    assert "posting windows widened (mon 20:00 now allowed)" in wider


@pytest.mark.parametrize(
    ("reason", "french"),
    [
        (
            'rule "schedule": posting windows widened (mon 20:00 now allowed)',
            "règle «\xa0schedule\xa0»\xa0: plages de publication élargies "
            "(lundi 20:00 désormais permis)",
        ),
        (
            'rule "prices": distance lowered from 60 to 20',
            "règle «\xa0prices\xa0»\xa0: distance abaissé de 60 à 20",
        ),
    ],
)
def test_loosening_reasons_read_in_french(app, reason, french):
    from flask_babel import force_locale

    from gateway.reasons import rules_text

    with app.test_request_context("/"), force_locale("fr"):
        assert rules_text(reason) == french


def test_posting_windows_as_day_and_time_rows(strict):
    web, ada = strict
    rows = {
        "rule-has-windows": "1",
        "rule-w-days": ["mon-fri", "sat", ""],
        "rule-w-start": ["08:00", "10:00", ""],
        "rule-w-end": ["20:00", "14:00", ""],
        "rule-severity": "block",
    }
    page = save(web, ada, "schedule", **rows).get_data(as_text=True)
    assert "is in force." in page, re.findall(r'class="(?:error|flash[^"]*)"[^>]*>([^<]*)', page)
    assert "+    &#34;mon-fri 08:00-20:00&#34;," in page
    assert 'value="sat"' in page and 'value="14:00"' in page  # shown again as rows
    wider = save(web, ada, "schedule", **(rows | {"rule-w-end": ["20:00", "18:00", ""]}))
    assert "posting windows widened (sat 14:00 now allowed)" in wider.get_data(as_text=True)
    half = save(web, ada, "schedule", **(rows | {"rule-w-end": ["", "14:00", ""]}))
    assert half.status_code == 422
    assert "windows, line 1: give the days, the start and the end" in half.get_data(as_text=True)
    bad = save(web, ada, "schedule", **(rows | {"rule-w-days": ["mon-fri", "someday", ""]}))
    assert (
        bad.status_code == 422
        and "windows, line 2: &#39;someday 10:00-14:00&#39; is not a window"
        in bad.get_data(as_text=True)
    )
