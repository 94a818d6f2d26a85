"""Editing one rule's banned terms in the TOML text keeps every comment and other rule."""

from __future__ import annotations

import pytest

from postgate.errors import ValidationFailed
from postgate.services.rule_edits import set_terms, term_rules
from tests.helpers import ROOT

SHIPPED = (ROOT / "config" / "rules.toml").read_text()
TWO = """# org rules
[[rules]]
id = "t"
kind = "banned_terms"
terms = [
  "x", # a comment with [brackets
  'y]',
]
severity = "flag"

[[rules]]
id = "x"
kind = "pattern"
pattern = '\\[x\\]'
message = "m"
"""


@pytest.mark.parametrize("source", [SHIPPED, TWO])
def test_only_the_terms_change(source):
    rule = term_rules(source)[0]["id"]
    edited = set_terms(source, rule, ["a]b", 'quote "q"', "é"])
    assert term_rules(edited)[0]["terms"] == ["a]b", 'quote "q"', "é"]
    head, rest = source.split("terms = [", 1)
    tail = rest.split("\n]\n", 1)[1]
    assert edited.startswith(head) and edited.endswith(tail)


def test_a_rule_without_terms_gets_a_list_and_an_unknown_rule_is_named():
    source = '[[rules]]\nid = "t"\nkind = "banned_terms"\n\n[[rules]]\nid = "p"\nkind = "prices"\n'
    assert term_rules(set_terms(source, "t", ["z"]))[0]["terms"] == ["z"]
    with pytest.raises(ValidationFailed) as refused:
        set_terms(source, "nope", ["z"])
    assert refused.value.field == "rule" and "nope" in refused.value.message


def test_stored_rules_read_terms_files_only_next_to_the_rules_file(tmp_path):
    from rules import RuleConfigError, parse_ruleset

    (tmp_path / "terms.txt").write_text("scam\n")
    rules = '[[rules]]\nid = "t"\nkind = "banned_terms"\nterms_file = "{}"\n'
    assert parse_ruleset(rules.format("terms.txt").encode(), None, base=tmp_path).version
    for name in ("/etc/passwd", "../terms.txt", "sub/terms.txt", ".hidden"):
        with pytest.raises(RuleConfigError) as refused:
            parse_ruleset(rules.format(name).encode(), None, base=tmp_path)
        assert "no folder" in str(refused.value) and str(tmp_path) not in str(refused.value)
    with pytest.raises(RuleConfigError) as missing:
        parse_ruleset(rules.format("none.txt").encode(), None, base=tmp_path)
    assert str(tmp_path) not in str(missing.value)
