import pytest

from rules import RuleConfigError, load_ruleset

from .conftest import CATALOG, REPO, evaluate, spans

BASE = """
[[rules]]
id = "banned-terms"
kind = "banned_terms"
terms = ["scam"]

[[rules]]
id = "contact"
kind = "personal_data"
severity = "flag"
types = ["email"]

[accounts."acme-fr"]
disable = ["contact"]

[accounts."acme-fr".override.banned-terms]
add_terms = ["arnaque"]

[accounts."acme-uk".override.banned-terms]
severity = "flag"

[[accounts."acme-uk".rules]]
id = "uk-only"
kind = "pattern"
pattern = 'cheers'
"""


def test_account_overrides(rules):
    ruleset = rules.load(BASE)
    text = "Une arnaque ? Un scam ? Écrivez à marie@gmail.com, cheers"
    org = evaluate(ruleset, text, account="acme")
    assert [(f.rule, f.severity) for f in org.findings] == [
        ("banned-terms", "block"),
        ("contact", "flag"),
    ]
    fr = evaluate(ruleset, text, account="acme-fr")
    assert spans(fr, text) == ["arnaque", "scam"]
    uk = evaluate(ruleset, text, account="acme-uk")
    assert [(f.rule, f.severity) for f in uk.findings] == [
        ("banned-terms", "flag"),
        ("contact", "flag"),
        ("uk-only", "flag"),
    ]
    assert not uk.blocked


def test_findings_are_sorted_by_span_start(rules):
    text = "marie@gmail.com says scam"
    findings = evaluate(rules.load(BASE), text).findings
    assert [f.span for f in findings] == sorted(f.span for f in findings)
    assert [f.rule for f in findings] == ["contact", "banned-terms"]


@pytest.mark.parametrize(
    ("toml", "complaint"),
    [
        (
            '[[rules]]\nid = "x"\nkind = "magic"\n',
            r"line 2, rule \"x\", key 'kind': unknown kind 'magic'",
        ),
        ('[[rules]]\nkind = "freeze"\n', r"rules\[0\]: key 'id' is missing"),
        ('[[rules]]\nid = "x"\nkind = "freeze"\nseverity = "warn"\n', "key 'severity'"),
        (
            '[[rules]]\nid = "x"\nkind = "banned_terms"\nterm = ["a"]\n',
            "key 'term': unknown option",
        ),
        ('[[rules]]\nid = "x"\nkind = "banned_terms"\nterms = "scam"\n', "expected a list"),
        (
            '[[rules]]\nid = "x"\nkind = "freeze"\n[[rules]]\nid = "x"\nkind = "freeze"\n',
            "line 2.*used by another",
        ),
        ('[[rules]]\nid = "x"\nkind = "prices"\n', "needs a product catalogue"),
        ('[[rules]]\nid = "x"\nkind = "duplicates"\nthreshold = 2\n', "between 0.0 and 1.0"),
        ('[[rules]]\nid = "x"\nkind = "banned_terms"\nterms_file = "nope.txt"\n', "cannot read"),
        ('[[rules]\nid = "x"', r"line 1, column 8: not valid TOML: Expected '\]\]'"),
        ("rulez = []\n", "unknown top-level key 'rulez'"),
        (
            '[accounts.shop]\ndisable = ["nope"]\n',
            r"line 1, account \"shop\": no organisation rule .*'nope'",
        ),
        (
            '[[rules]]\nid = "x"\nkind = "posting_window"\nblackout_dates = ["25/12"]\n',
            "not a date",
        ),
    ],
)
def test_config_errors_name_the_place(rules, toml, complaint):
    with pytest.raises(RuleConfigError, match=complaint):
        rules.load(toml)


def test_bad_override_is_reported(rules):
    toml = BASE + '\n[accounts."acme-de".override.banned-terms]\nadd_terms = "arnaque"\n'
    with pytest.raises(RuleConfigError, match="only lists can be extended"):
        rules.load(toml)


@pytest.mark.parametrize(
    ("row", "complaint"),
    [
        (
            "X-1,Widget,,9.9.9,EUR,,,",
            r"catalog\.csv line 6, column 'price': '9\.9\.9' is not a price",
        ),
        ("X-1,Widget,,9,99,EUR,,", r"line 6, column 'currency'"),
        ("X-1,Widget,,10.00,EUR,8.00,2025-12-10,2025-12-01", r"line 6, column 'promo_end'"),
        ("X-1,Widget,,10.00,EUR,,2025-12-01,", r"line 6, column 'promo_price'"),
        ("AUR-100,Widget,,10.00,EUR,,,", r"line 6, column 'sku': 'AUR-100' appears twice"),
        ("X-1,,,10.00,EUR,,,", r"line 6, column 'name': must not be empty"),
    ],
)
def test_bad_catalogue_rows_name_the_line(rules, row, complaint):
    with pytest.raises(RuleConfigError, match=complaint):
        rules.load('[[rules]]\nid = "p"\nkind = "prices"\n', CATALOG + row + "\n")


def test_catalogue_missing_column(rules):
    with pytest.raises(RuleConfigError, match="line 1: missing column"):
        rules.load('[[rules]]\nid = "p"\nkind = "prices"\n', "sku,name,price\nA,B,1.00\n")


def test_version_changes_with_rules_catalogue_and_terms_file(rules, tmp_path):
    toml = BASE + '\n[[rules]]\nid = "more"\nkind = "banned_terms"\nterms_file = "t.txt"\n'
    (tmp_path / "t.txt").write_text("foo\n", encoding="utf-8")
    first = rules.load(toml, CATALOG).version
    assert first.startswith("r-") and len(first) == 14
    assert rules.load(toml, CATALOG).version == first
    assert rules.load(toml + "\n# a comment\n", CATALOG).version != first
    assert rules.load(toml, CATALOG.replace("99.99", "89.99")).version != first
    (tmp_path / "t.txt").write_text("bar\n", encoding="utf-8")
    assert rules.load(toml, CATALOG).version != first


def test_evaluation_records_the_version(rules):
    ruleset = rules.load(BASE)
    assert evaluate(ruleset, "hello").version == ruleset.version


def test_shipped_config_loads_and_judges_sample_posts():
    ruleset = load_ruleset(REPO / "config" / "rules.toml")
    bad = (
        "Casque Aurora à 89,99 € ! Une 4rn\u0430qu3 ? Voir https://acme.fr@evil.com/x "
        "ou bit.ly/promo. Carte 4111 1111 1111 1111. Ticket JIRA-1234."
    )
    result = evaluate(ruleset, bad, account="acme-fr", platform="x")
    assert {f.rule for f in result.findings} == {
        "prices",
        "banned-terms",
        "links",
        "payment-data",
        "internal-ticket",
    }
    good = "Le Casque Aurora est à 99,99 € sur https://shop.acme.fr/aurora : bonne journée !"
    assert evaluate(ruleset, good, account="acme-fr", platform="bluesky").findings == ()
    assert evaluate(ruleset, "Des prix cassés !", account="acme-fr").blocked
    assert not evaluate(ruleset, "Des prix cassés !", account="acme").blocked
