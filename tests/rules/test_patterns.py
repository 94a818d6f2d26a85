import pytest

from rules import RuleConfigError

PATTERN = """
[[rules]]
id = "internal-ticket"
kind = "pattern"
severity = "block"
pattern = '\\b(?:JIRA|INC)-\\d{3,}\\b'
message = "Internal ticket numbers must not appear in public posts."
"""


def test_pattern_match_has_its_own_message_and_severity(rules):
    text = "Fixed in jira-4521, thanks for your patience!"
    result = rules.check(PATTERN, text)
    assert [f.to_dict() for f in result.findings] == [
        {
            "rule": "internal-ticket",
            "severity": "block",
            "message": "Internal ticket numbers must not appear in public posts.",
            "span": [9, 18],
            "template": "{text}",  # the administrator's message, shown as written
            "params": {"text": "Internal ticket numbers must not appear in public posts."},
        }
    ]


def test_pattern_default_severity_is_flag(rules):
    toml = """
    [[rules]]
    id = "claims"
    kind = "pattern"
    pattern = 'le moins cher'
    """
    result = rules.check(toml, "Le moins cher de la ville !")
    assert [f.severity for f in result.findings] == ["flag"]
    assert not result.blocked


def test_clean_post_passes(rules):
    assert rules.check(PATTERN, "Notre équipe répond du lundi au vendredi.").findings == ()


def test_bad_regex_names_the_rule_and_line(rules):
    toml = """
    [[rules]]
    id = "ok"
    kind = "freeze"

    [[rules]]
    id = "broken"
    kind = "pattern"
    pattern = '(unclosed'
    """
    with pytest.raises(
        RuleConfigError, match=r"rules\.toml line 7, rule \"broken\", key 'pattern'"
    ):
        rules.load(toml)


def test_pattern_matching_empty_text_is_refused(rules):
    toml = """
    [[rules]]
    id = "all"
    kind = "pattern"
    pattern = 'x*'
    """
    with pytest.raises(RuleConfigError, match="matches empty text"):
        rules.load(toml)
