import pytest

from postgate.platforms.registry import PLATFORMS, platform_spec
from rules import count_length
from rules.limits import graphemes

LIMITS = """
[[rules]]
id = "limits"
kind = "platform_limits"
"""
URL = "https://acme.fr/" + "x" * 100


def test_graphemes_keep_clusters_whole():
    family = "👨\u200d👩\u200d👧\u200d👦"
    assert graphemes(f"e\u0301{family}🇫🇷👍🏽❤️a\r\n") == [
        "é",
        family,
        "🇫🇷",
        "👍🏽",
        "❤️",
        "a",
        "\r\n",
    ]


def length(text: str, platform: str) -> tuple[int, int]:
    """As the registry says ``platform`` counts."""
    return count_length(text, PLATFORMS[platform].limits)


def test_x_counts_urls_as_23_and_wide_characters_double():
    assert length(f"Soldes {URL}", "x") == (7 + 23, 280)
    assert length("été", "x") == (3, 280)
    assert length("日本", "x") == (4, 280)
    assert length("👨\u200d👩\u200d👧\u200d👦", "x") == (2, 280)


def test_mastodon_counts_urls_as_23_and_mentions_as_local_part():
    assert length(f"@alice@mastodon.social {URL}", "mastodon") == (7 + 23, 500)
    assert length("www.acme.fr", "mastodon") == (11, 500)  # not linked without a scheme


def test_bluesky_counts_graphemes_of_the_raw_text():
    assert length("e\u0301" * 300, "bluesky") == (300, 300)
    assert length(URL, "bluesky") == (len(URL), 300)


def test_unknown_platform_is_a_clear_error():
    with pytest.raises(ValueError, match="unknown platform 'myspace'"):
        platform_spec("myspace")


def test_a_platform_the_caller_does_not_know_is_a_finding(rules):
    result = rules.check(LIMITS, "hi", platform="myspace")
    assert result.blocked and "myspace" in result.findings[0].message


def test_too_long_for_x_blocks_but_fits_mastodon(rules):
    text = "Notre nouvelle collection arrive ! " * 9  # 315 characters
    result = rules.check(LIMITS, text, platform="x")
    assert result.blocked
    assert "315" in result.findings[0].message and "280" in result.findings[0].message
    assert rules.check(LIMITS, text, platform="mastodon").findings == ()


def test_long_url_fits_on_x_because_it_counts_23(rules):
    text = "New arrivals: " + "https://acme.fr/" + "a" * 400
    assert rules.check(LIMITS, text, platform="x").findings == ()
    assert rules.check(LIMITS, text, platform="bluesky").blocked


def test_media_count(rules):
    assert rules.check(LIMITS, "Photos !", platform="bluesky", media_count=5).blocked
    assert rules.check(LIMITS, "Photos !", platform="bluesky", media_count=4).findings == ()


def test_configured_limits_override_defaults(rules):
    toml = LIMITS + "max_length = { webhook = 10 }\n"
    assert rules.check(toml, "Hello, world!", platform="webhook").blocked
