"""A catalogue the CSV reader itself refuses (a bare carriage return inside a field, as an API
client or a spreadsheet may send) is a configuration error naming the line, never a crash."""

import pytest

from rules import RuleConfigError
from rules.catalog import parse_catalog

HEADER = b"sku,name,price,currency,promo_price,promo_start,promo_end,aliases\n"


def test_a_carriage_return_inside_a_field_names_the_line():
    content = HEADER + b"A1,Casque,99.99,EUR,,,,\nA2,Cas\rque,10.00,EUR,,,,\n"
    with pytest.raises(RuleConfigError, match=r"^catalog\.csv line 3: not CSV: new-line character"):
        parse_catalog(content)


def test_a_readable_catalogue_still_reads():
    catalog = parse_catalog(HEADER + b"A1,Casque,99.99,EUR,,,,\n")
    assert [p.sku for p in catalog.products] == ["A1"]
