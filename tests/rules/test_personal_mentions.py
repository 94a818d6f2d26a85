"""A fediverse mention ``@user@host`` is an account, not an e-mail address (issue 11)."""

from __future__ import annotations

import pytest

from .conftest import spans

PERSONAL = """
[[rules]]
id = "personal"
kind = "personal_data"
types = ["email"]
"""


@pytest.mark.parametrize(
    "text",
    [
        "Merci @team@other.example pour le relais !",
        "(@presse@mastodon.social) et @ami@exemple.fr.",
        "@team@other.example en début de message.",
    ],
)
def test_mentions_are_not_e_mail_addresses(rules, text):
    assert rules.check(PERSONAL, text).findings == ()


def test_an_address_next_to_a_mention_is_still_found(rules):
    text = "Merci @team@other.example, écrivez à jean.dupont@gmail.com."
    result = rules.check(PERSONAL, text)
    assert spans(result, text) == ["jean.dupont@gmail.com"]
