"""Property-based tests (Hypothesis) of the parsers under the rules: prices, links, text
normalisation and posting windows.

Each property holds for every input Hypothesis can build, not only for the examples the other
tests chose: no exception but the documented one, round trips, idempotence, a price written
in any supported format reading as the same amount. The ``ci`` profile (``conftest.py`` at the
root of the tests) keeps the run bounded and reproducible.
"""

from __future__ import annotations

import unicodedata
from datetime import UTC, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from hypothesis import example, given
from hypothesis import strategies as st

from rules import Context, Draft
from rules.links import extract_links, find_links, link_host, normalize_host
from rules.normalize import fold, normalize
from rules.prices import find_prices, parse_amount
from rules.windows import DAYS, PostingWindowRule, Window, parse_window

# --- prices ---------------------------------------------------------------------------------

THOUSANDS = [" ", "\u00a0", "\u202f", ".", ",", "'"]
CURRENCIES = {"€": "EUR", "$": "USD", "£": "GBP", "EUR": "EUR", "USD": "USD", "GBP": "GBP"}


@st.composite
def written_prices(draw) -> tuple[str, Decimal, str]:
    """A price as people write it: (text, amount, currency)."""
    whole = draw(st.integers(0, 9_999_999))
    cents = draw(st.none() | st.integers(0, 99))
    thousands = draw(st.sampled_from(["", *THOUSANDS]))
    decimal = draw(st.sampled_from([c for c in ".," if c != thousands]))
    digits = f"{whole:,}".replace(",", thousands) if thousands else str(whole)
    number = digits if cents is None else f"{digits}{decimal}{cents:02d}"
    sign = draw(st.sampled_from(sorted(CURRENCIES)))
    space = draw(st.sampled_from(["", " "]))
    before = draw(st.booleans())
    text = f"{sign}{space}{number}" if before else f"{number}{space}{sign}"
    amount = Decimal(whole) + (Decimal(cents) / 100 if cents is not None else 0)
    return text, amount, CURRENCIES[sign]


@given(written_prices(), st.sampled_from(["Le casque à {} !", "{}", "Only {} today.", "({})"]))
def test_a_price_in_any_supported_format_reads_as_its_amount(written, sentence) -> None:
    text, amount, currency = written
    (found,) = find_prices(sentence.format(text))
    assert (found.amount, found.currency) == (amount, currency), text
    assert sentence.format(text)[found.span[0] : found.span[1]].strip() == text.strip()


@given(st.text())
def test_finding_prices_never_raises_and_spans_stay_in_the_text(text: str) -> None:
    for price in find_prices(text):
        start, end = price.span
        assert 0 <= start < end <= len(text)
        assert price.amount >= 0


@given(st.integers(0, 10**9), st.integers(0, 99), st.sampled_from([".", ","]))
def test_parse_amount_reads_the_last_one_or_two_digits_as_cents(whole, cents, sep) -> None:
    assert parse_amount(f"{whole}{sep}{cents:02d}") == Decimal(f"{whole}.{cents:02d}")


# --- links ----------------------------------------------------------------------------------

LABEL = st.from_regex(r"[a-z0-9](?:[a-z0-9-]{0,14}[a-z0-9])?", fullmatch=True)
HOSTS = st.builds(
    lambda labels, tld: ".".join([*labels, tld]),
    st.lists(LABEL, min_size=1, max_size=3),
    st.sampled_from(["com", "fr", "io", "example"]),
)


@given(st.text())
def test_link_parsing_never_raises(text: str) -> None:
    for url, (start, end) in find_links(text):
        assert text[start:end] == url
        link_host(url)
    assert extract_links(text) == [url for url, _ in find_links(text)]


@given(st.text())
@example("%¼")  # IDNA maps it to "%14", which decodes to a control character
@example("%2565vil.com")  # escaped twice
@example("\ufe6a41.example")  # a small percent sign, "%" after IDNA's mapping
def test_normalize_host_is_idempotent(host: str) -> None:
    once = normalize_host(host)
    assert normalize_host(once) == once


@given(HOSTS, st.sampled_from(["https://", "http://", "//", "HTTPS://", "https:\\\\"]))
def test_the_host_a_browser_contacts_is_the_one_found(host: str, scheme: str) -> None:
    expected = normalize_host(host)
    for url in (
        f"{scheme}{host}/path?q=1",
        f"{scheme}{host.upper()}./",
        f"{scheme}good.example@{host}:8443/x",
        f"{scheme}user:pass@{host}",
    ):
        assert link_host(url) == expected, url


@given(HOSTS, st.sampled_from(["Voir {} !", "{}", "(lien : {})", "«{}»"]))
def test_a_link_in_a_sentence_is_found_whole(host: str, sentence: str) -> None:
    url = f"https://{host}/soldes"
    assert extract_links(sentence.format(url)) == [url]


# --- text normalisation ---------------------------------------------------------------------


@given(st.text(), st.booleans())
def test_folding_is_idempotent(text: str, leet: bool) -> None:
    once = fold(text, leet)
    assert fold(once, leet) == once


@given(st.text(), st.booleans())
def test_every_folded_character_points_back_into_the_original(text: str, leet: bool) -> None:
    folded = normalize(text, leet)
    origins = folded.origins
    assert len(origins) == len(folded.text)
    assert list(origins) == sorted(origins)
    assert all(0 <= i < len(text) for i in origins)
    if folded.text:
        start, end = folded.span(0, len(folded.text))
        assert 0 <= start < end <= len(text)


@given(st.text(st.characters(categories=["Lu", "Ll", "Zs", "Nd", "Mn"])))
def test_composed_and_decomposed_spellings_fold_alike(text: str) -> None:
    assert fold(unicodedata.normalize("NFC", text)) == fold(unicodedata.normalize("NFD", text))


@given(st.text(st.characters(categories=["Lu", "Ll", "Lt"])), st.booleans())
def test_folding_ignores_case(text: str, leet: bool) -> None:
    assert fold(text.upper(), leet) == fold(text.lower(), leet)


# --- posting windows ------------------------------------------------------------------------

HOURS = st.integers(0, 24 * 60 - 1).map(lambda m: time(m // 60, m % 60))


@st.composite
def windows(draw) -> tuple[str, frozenset[int], time, time | None]:
    days = draw(st.sets(st.integers(0, 6), min_size=1))
    start = draw(HOURS)
    end = draw(HOURS.filter(lambda t: t > start) | st.none())
    until = "24:00" if end is None else f"{end:%H:%M}"
    spec = f"{','.join(DAYS[d] for d in sorted(days))} {start:%H:%M}-{until}"
    return spec, frozenset(days), start, end


@given(st.text())
def test_parse_window_raises_only_value_error(spec: str) -> None:
    try:
        window = parse_window(spec)
    except ValueError:
        return
    assert window.days and (window.end is None or window.start < window.end)


@given(windows())
def test_a_window_written_out_parses_back_to_itself(window) -> None:
    spec, days, start, end = window
    assert parse_window(spec) == Window(days, start, end)
    assert parse_window(spec.upper()) == parse_window(f"  {spec}  ")


MOMENTS = st.datetimes(
    min_value=datetime(1970, 1, 2), max_value=datetime(2999, 12, 30), timezones=st.just(UTC)
)
ZONES = st.sampled_from(
    ["UTC", "Europe/Paris", "America/New_York", "Asia/Kolkata", "Pacific/Chatham"]
)


@given(st.lists(windows(), min_size=1, max_size=3), MOMENTS, ZONES)
def test_the_rule_blocks_exactly_the_moments_outside_every_window(specs, moment, zone) -> None:
    rule = PostingWindowRule("hours", "block", frozenset())
    context = Context(
        now=moment - timedelta(days=1), timezone=zone, windows=tuple(s[0] for s in specs)
    )
    findings = rule.evaluate(
        Draft(text="x", account="acme", platform="sandbox", scheduled_at=moment), context
    )
    local = moment.astimezone(ZoneInfo(zone)).replace(tzinfo=None)
    inside = any(
        local.weekday() in days and start <= local.time() and (end is None or local.time() < end)
        for _, days, start, end in specs
    )
    assert (not findings) == inside, (local, [s[0] for s in specs])
