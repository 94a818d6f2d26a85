"""The catalogue as a table: one product added, changed or deleted, the CSV rewritten with
its other rows as they were. Each cell is checked here, the error naming its column, before
the whole catalogue is validated when the version is proposed."""

from __future__ import annotations

import csv
import io
import re
from datetime import date
from typing import Any

from postgate.errors import ValidationFailed
from rules.catalog import COLUMNS

_PRICE = re.compile(r"\d+(?:\.\d{1,2})?")
_CURRENCY = re.compile(r"[A-Z]{3}")


def rows(text: str | None) -> list[dict[str, str]]:
    if not text:
        return []
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    return [{c: (row.get(c) or "").strip() for c in COLUMNS} for row in reader]


def to_csv(products: list[dict[str, str]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for product in products:
        writer.writerow([product.get(c, "") for c in COLUMNS])
    return out.getvalue()


def edit(text: str | None, original: str, product: dict[str, Any] | None) -> str:
    """The catalogue ``text`` with product ``original`` (its SKU; empty to add one) replaced
    by ``product``, or deleted when ``product`` is None."""
    current = rows(text)
    skus = [p["sku"] for p in current]
    if original and original not in skus:
        raise ValidationFailed("no product has the SKU {sku!r}", field="sku", sku=original)
    if product is None:
        if not original:
            raise ValidationFailed("name the product to delete", field="sku")
        return to_csv([p for p in current if p["sku"] != original])
    checked = check(product)
    if checked["sku"] != original and checked["sku"] in skus:
        raise ValidationFailed(
            "another product already has the SKU {sku!r}", field="sku", sku=checked["sku"]
        )
    if original:
        return to_csv([checked if p["sku"] == original else p for p in current])
    return to_csv([*current, checked])


def check(product: dict[str, Any]) -> dict[str, str]:
    """The product's cells, trimmed; an error names the column at fault."""
    cells = {c: str(product.get(c) or "").strip() for c in COLUMNS}
    aliases = product.get("aliases")
    if isinstance(aliases, list):
        cells["aliases"] = "|".join(str(a).strip() for a in aliases if str(a).strip())
    else:
        parts = re.split(r"[|\n,]", cells["aliases"])
        cells["aliases"] = "|".join(a.strip() for a in parts if a.strip())
    for column in ("sku", "name", "price", "currency"):
        if not cells[column]:
            raise ValidationFailed("{column}: required", field=column, column=column)
    for column, value in cells.items():
        if len(value) > 500 or any(ch in value for ch in "\r\n\x00"):
            raise ValidationFailed(
                "{column}: at most 500 characters on one line", field=column, column=column
            )
    cells["currency"] = cells["currency"].upper()
    if not _CURRENCY.fullmatch(cells["currency"]):
        raise ValidationFailed("currency: three letters, like EUR", field="currency")
    for column in ("price", "promo_price"):
        cells[column] = cells[column].replace(",", ".")
        if cells[column] and not _PRICE.fullmatch(cells[column]):
            raise ValidationFailed(
                "{column}: {value!r} is not a price like 19.99",
                field=column,
                column=column,
                value=cells[column],
            )
    for column in ("promo_start", "promo_end"):
        if cells[column]:
            try:
                date.fromisoformat(cells[column])
            except ValueError:
                raise ValidationFailed(
                    "{column}: {value!r} is not a date like 2026-12-25",
                    field=column,
                    column=column,
                    value=cells[column],
                ) from None
    if (cells["promo_start"] or cells["promo_end"]) and not cells["promo_price"]:
        raise ValidationFailed("promo_price: give the promotion's price", field="promo_price")
    if cells["promo_start"] and cells["promo_end"] and cells["promo_end"] < cells["promo_start"]:
        raise ValidationFailed("promo_end: before promo_start", field="promo_end")
    return cells
