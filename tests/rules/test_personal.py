import pytest

from rules.personal import iban_valid, luhn_valid

from .conftest import spans

PERSONAL = """
[[rules]]
id = "personal"
kind = "personal_data"
allow_email_domains = ["acme.fr"]
"""


def test_checksums():
    assert luhn_valid("4111111111111111")
    assert not luhn_valid("4111111111111112")
    assert iban_valid("FR76 3000 6000 0112 3456 7890 189")
    assert not iban_valid("FR76 3000 6000 0112 3456 7890 188")


@pytest.mark.parametrize(
    "found",
    [
        "jean.dupont@gmail.com",
        "06 12 34 56 78",
        "06.12.34.56.78",
        "+33 6 12 34 56 78",
        "+44 20 7946 0958",
        "+14155552671",
        "4111 1111 1111 1111",
        "4111-1111-1111-1111",
        "378282246310005",
        "FR76 3000 6000 0112 3456 7890 189",
        "DE89370400440532013000",
    ],
)
def test_personal_data_is_found(rules, found):
    text = f"Merci de contacter le client : {found}, merci."
    result = rules.check(PERSONAL, text)
    assert spans(result, text) == [found]
    assert result.blocked


@pytest.mark.parametrize(
    "text",
    [
        "Card 4111 1111 1111 1112 fails the Luhn check.",
        "IBAN FR76 3000 6000 0112 3456 7890 188 has a bad checksum.",
        "Écrivez-nous à support@acme.fr ou sav@boutique.acme.fr.",
        "Le Casque Aurora à 1 299,00 € — commande n° 2025-11-0042.",
        "Rendez-vous le 12/05/2025 à 14h30, 3 rue de la Paix.",
    ],
)
def test_clean_posts_pass(rules, text):
    assert rules.check(PERSONAL, text).findings == ()


def test_types_limit_what_is_searched(rules):
    toml = PERSONAL + 'types = ["card"]\n'
    text = "Call 06 12 34 56 78, card 4111 1111 1111 1111"
    assert spans(rules.check(toml, text), text) == ["4111 1111 1111 1111"]
