"""The product catalogue: what each product costs, and its promotion if any.

Read from CSV (`sku,name,aliases,price,currency,promo_price,promo_start,promo_end`,
aliases separated by `|`, promotion dates inclusive, in the account's time
zone). Every bad cell is a `RuleConfigError` naming the file, line and column.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path

from .errors import Place, RuleConfigError
from .syntax import csv_error

COLUMNS = ("sku", "name", "aliases", "price", "currency", "promo_price", "promo_start", "promo_end")
_PRICE_RE = re.compile(r"\d+(?:\.\d{1,2})?")


@dataclass(frozen=True)
class Product:
    sku: str
    name: str
    aliases: tuple[str, ...]
    price: Decimal
    currency: str
    promo_price: Decimal | None = None
    promo_start: date | None = None
    promo_end: date | None = None

    def promo_active(self, day: date) -> bool:
        if self.promo_price is None:
            return False
        after_start = self.promo_start is None or self.promo_start <= day
        return after_start and (self.promo_end is None or day <= self.promo_end)


@dataclass(frozen=True)
class Catalog:
    products: tuple[Product, ...]
    content: bytes  # the file as read, for the rule-set version


def load_catalog(path: str | Path) -> Catalog:
    path = Path(path)
    try:
        content = path.read_bytes()
    except OSError as exc:
        raise RuleConfigError(
            "cannot read the catalogue: {reason}", where=Place(str(path)), reason=str(exc)
        ) from None
    return parse_catalog(content, str(path))


def parse_catalog(content: bytes, path: str = "catalog.csv") -> Catalog:
    """The catalogue in ``content`` (CSV); ``path`` names it in error messages."""
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise RuleConfigError(
            "cannot read the catalogue: {reason}", where=Place(path), reason=str(exc)
        ) from None
    reader = csv.DictReader(io.StringIO(text))
    try:
        return Catalog(_products(reader, path), content)
    except csv.Error as exc:  # a stray carriage return or quote: not CSV the reader can read
        raise csv_error(str(exc), path, reader.line_num + 1) from None


def _products(reader: csv.DictReader[str], path: str) -> tuple[Product, ...]:
    missing = [c for c in COLUMNS if c not in (reader.fieldnames or [])]
    if missing:
        raise RuleConfigError(
            "missing column(s) {columns}", where=Place(path, line=1), columns=", ".join(missing)
        )
    products: list[Product] = []
    seen: set[str] = set()
    for row in reader:
        where = Place(path, line=reader.line_num)
        product = _product(row, where)
        if product.sku in seen:
            raise RuleConfigError(
                "{sku!r} appears twice", where=where.at(column="sku"), sku=product.sku
            )
        seen.add(product.sku)
        products.append(product)
    return tuple(products)


def _product(row: dict[str, str | None], where: Place) -> Product:
    def cell(column: str) -> str:
        return (row.get(column) or "").strip()

    def fail(column: str, template: str, **params: object) -> RuleConfigError:
        return RuleConfigError(template, where=where.at(column=column), **params)

    for column in ("sku", "name", "price", "currency"):
        if not cell(column):
            raise fail(column, "must not be empty")
    currency = cell("currency").upper()
    if not re.fullmatch(r"[A-Z]{3}", currency):
        raise fail("currency", "{value!r} is not a currency code like EUR", value=cell("currency"))
    promo_price = _optional_price(cell("promo_price"), lambda *a, **k: fail("promo_price", *a, **k))
    start = _date(cell("promo_start"), lambda *a, **k: fail("promo_start", *a, **k))
    end = _date(cell("promo_end"), lambda *a, **k: fail("promo_end", *a, **k))
    if start and end and end < start:
        raise fail(
            "promo_end", "{end} is before promo_start {start}", end=str(end), start=str(start)
        )
    if (start or end) and promo_price is None:
        raise fail("promo_price", "promotion dates are set but the promotion price is empty")
    aliases = tuple(a.strip() for a in cell("aliases").split("|") if a.strip())
    return Product(
        sku=cell("sku"),
        name=cell("name"),
        aliases=aliases,
        price=_price(cell("price"), lambda *a, **k: fail("price", *a, **k)),
        currency=currency,
        promo_price=promo_price,
        promo_start=start,
        promo_end=end,
    )


def _optional_price(value: str, refuse) -> Decimal | None:
    return _price(value, refuse) if value else None


def _price(value: str, refuse) -> Decimal:
    if not _PRICE_RE.fullmatch(value):
        raise refuse(
            "{value!r} is not a price like 99.99 (dot for decimals, no currency sign)", value=value
        )
    try:
        return Decimal(value)
    except InvalidOperation:  # pragma: no cover - the pattern above already guarantees it
        raise refuse("{value!r} is not a price", value=value) from None


def _date(value: str, refuse) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise refuse("{value!r} is not a date like 2025-11-28", value=value) from None
