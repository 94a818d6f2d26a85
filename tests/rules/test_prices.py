from datetime import UTC, datetime

import pytest

from rules.prices import find_prices, parse_amount

from .conftest import CATALOG, spans

PRICES = """
[[rules]]
id = "prices"
kind = "prices"
"""


@pytest.mark.parametrize(
    ("text", "amount", "currency"),
    [
        ("€9.99", "9.99", "EUR"),
        ("9,99 €", "9.99", "EUR"),
        ("9.99 EUR", "9.99", "EUR"),
        ("9,99€", "9.99", "EUR"),
        ("$9.99", "9.99", "USD"),
        ("99,-", "99", None),
        ("99 €", "99", "EUR"),
        ("EUR 9.99", "9.99", "EUR"),
        ("1 299,00 €", "1299.00", "EUR"),
        ("1,299.00", "1299.00", None),
        ("£1,299", "1299", "GBP"),
    ],
)
def test_price_formats(text, amount, currency):
    (price,) = find_prices(f"Prix : {text} seulement")
    assert price.amount == parse_amount(amount)
    assert price.currency == currency


def test_dates_and_plain_numbers_are_not_prices():
    assert find_prices("Le 12.05.2024, 3 modèles, 2025 pièces, version 2.1") == []


def test_wrong_price_in_french_post_blocks_and_names_everything(rules):
    text = "Le Casque Aurora passe à 89,99 € ce week-end !"
    result = rules.check(PRICES, text, CATALOG)
    assert result.blocked
    assert spans(result, text) == ["89,99 €"]
    message = result.findings[0].message
    assert "Casque Aurora" in message and "89,99 €" in message and "99.99 EUR" in message


def test_catalogue_price_passes(rules):
    assert (
        rules.check(PRICES, "Le prix reste 99,99 € pour le Casque Aurora.", CATALOG).findings == ()
    )
    assert rules.check(PRICES, "Casque Aurora : le prix reste 99,99 €", CATALOG).findings == ()


def test_post_without_price_passes(rules):
    text = "Le Casque Aurora arrive en boutique, venez l'essayer !"
    assert rules.check(PRICES, text, CATALOG).findings == ()


def test_promotion_price_only_while_promotion_runs(rules):
    text = "Black Friday: Aurora Headphones for just €79.99!"
    during = datetime(2025, 11, 29, 9, 0, tzinfo=UTC)
    assert rules.check(PRICES, text, CATALOG, scheduled_at=during).findings == ()
    after = datetime(2025, 12, 2, 9, 0, tzinfo=UTC)
    result = rules.check(PRICES, text, CATALOG, scheduled_at=after)
    assert result.blocked
    assert "not in force" in result.findings[0].message


def test_promotion_day_is_read_in_the_account_time_zone(rules):
    text = "Aurora Headphones: €79.99 today only"
    # 23:30 UTC on 1 December is already 2 December in Paris: the promotion has ended.
    late = datetime(2025, 12, 1, 23, 30, tzinfo=UTC)
    assert rules.check(PRICES, text, CATALOG, scheduled_at=late).findings == ()
    assert rules.check(PRICES, text, CATALOG, scheduled_at=late, timezone="Europe/Paris").blocked


def test_longest_product_name_wins(rules):
    text = "Le Casque Aurora Pro est à 1 299,00 €."
    assert rules.check(PRICES, text, CATALOG).findings == ()
    assert rules.check(PRICES, "Le Casque Aurora Pro est à 99,99 €.", CATALOG).blocked


def test_each_price_goes_to_its_own_product(rules):
    text = "Casque Aurora à 99,99 € et Enceinte Nova à 49 € : de quoi vous faire plaisir."
    assert rules.check(PRICES, text, CATALOG).findings == ()
    wrong = "Casque Aurora à 99,99 € et Enceinte Nova à 45 €."
    result = rules.check(PRICES, wrong, CATALOG)
    assert spans(result, wrong) == ["45 €"]
    assert "Enceinte Nova" in result.findings[0].message


def test_price_in_another_sentence_or_far_away_is_ignored(rules):
    text = "Le Casque Aurora est de retour. Livraison offerte dès 25 €."
    assert rules.check(PRICES, text, CATALOG).findings == ()
    far = "Le Casque Aurora " + "est vraiment très confortable et très léger, " * 2 + "25 €"
    assert rules.check(PRICES, far, CATALOG).findings == ()


def test_price_before_product_name(rules):
    assert rules.check(PRICES, "Only $59 for the Nova Speaker!", CATALOG).blocked


def test_wrong_currency_blocks(rules):
    text = "Lumen Lamp, now £29.99 or €29.99"
    result = rules.check(PRICES, text, CATALOG)
    assert spans(result, text) == ["€29.99"]
    assert "GBP" in result.findings[0].message
