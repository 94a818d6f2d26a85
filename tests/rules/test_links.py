import pytest

from rules import extract_links
from rules.links import link_host, normalize_host

LINKS = """
[[rules]]
id = "links"
kind = "links"
allow = ["acme.fr", "bücher.de"]
block = ["evil.com", "xn--e1afmkfd.com"]
"""


@pytest.mark.parametrize(
    ("url", "host"),
    [
        ("https://good.com@evil.com/login", "evil.com"),
        ("https://acme.fr:443@evil.com", "evil.com"),
        ("https://evil.com\\@acme.fr/", "evil.com"),
        ("HTTPS://WWW.EVIL.COM./x", "www.evil.com"),
        ("www.evil.com", "www.evil.com"),
        ("https:evil.com/path", "evil.com"),
        ("//evil.com/x", "evil.com"),
        ("http://evil.com:8080/x?a=b", "evil.com"),
        ("https://xn--bcher-kva.de/", "xn--bcher-kva.de"),
        ("https://Bücher.de/", "xn--bcher-kva.de"),
        ("https://evil\uff0ecom/", "evil.com"),
    ],
)
def test_link_host_reads_what_a_browser_reads(url, host):
    assert link_host(url) == host


def test_normalize_host_both_spellings_meet():
    assert normalize_host("xn--bcher-kva.de.") == normalize_host("BÜCHER.de")


def test_extract_links_trims_sentence_punctuation():
    text = "Voir https://acme.fr/soldes. Et (www.acme.fr/aide), ou acme.fr! Pas e.g. ni Node.js"
    assert extract_links(text) == ["https://acme.fr/soldes", "www.acme.fr/aide", "acme.fr"]


def test_email_is_not_a_link():
    assert extract_links("Écrivez à contact@acme.fr") == []


def test_blocked_domain_behind_userinfo_blocks(rules):
    text = "Connectez-vous ici : https://acme.fr@evil.com/login"
    result = rules.check(LINKS, text)
    assert result.blocked
    assert [f.span for f in result.findings] == [(21, 51)]
    assert "evil.com" in result.findings[0].message


def test_subdomain_and_trailing_dot_of_blocked_domain_block(rules):
    result = rules.check(LINKS, "Offre sur http://promo.EVIL.com./deal")
    assert result.blocked


def test_unicode_spelling_of_punycode_blocked_domain_blocks(rules):
    result = rules.check(LINKS, "Go to https://пример.com now")
    assert result.blocked


def test_link_outside_allow_list_flags(rules):
    result = rules.check(LINKS, "Read the review on https://example.org/review")
    assert [f.severity for f in result.findings] == ["flag"]


def test_allowed_links_pass(rules):
    text = "Nos soldes : https://shop.acme.fr/soldes et https://xn--bcher-kva.de/buch"
    assert rules.check(LINKS, text).findings == ()


def test_unlisted_severity_can_block(rules):
    result = rules.check(LINKS + 'unlisted_severity = "block"\n', "See www.example.org")
    assert result.blocked
