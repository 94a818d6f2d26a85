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

from .errors import RuleConfigError

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
        raise RuleConfigError(f"{path}: cannot read the catalogue: {exc}") from None
    return parse_catalog(content, str(path))


def parse_catalog(content: bytes, path: str = "catalog.csv") -> Catalog:
    """The catalogue in ``content`` (CSV); ``path`` names it in error messages."""
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise RuleConfigError(f"{path}: cannot read the catalogue: {exc}") from None
    reader = csv.DictReader(io.StringIO(text))
    try:
        return Catalog(_products(reader, path), content)
    except csv.Error as exc:  # a stray carriage return or quote: not CSV the reader can read
        raise RuleConfigError(f"{path} line {reader.line_num + 1}: {exc}") from None


def _products(reader: csv.DictReader[str], path: str) -> tuple[Product, ...]:
    missing = [c for c in COLUMNS if c not in (reader.fieldnames or [])]
    if missing:
        raise RuleConfigError(f"{path} line 1: missing column(s) {', '.join(missing)}")
    products: list[Product] = []
    seen: set[str] = set()
    for row in reader:
        where = f"{path} line {reader.line_num}"
        product = _product(row, where)
        if product.sku in seen:
            raise RuleConfigError(f"{where}, column 'sku': {product.sku!r} appears twice")
        seen.add(product.sku)
        products.append(product)
    return tuple(products)


def _product(row: dict[str, str | None], where: str) -> Product:
    def cell(column: str) -> str:
        return (row.get(column) or "").strip()

    def fail(column: str, message: str) -> RuleConfigError:
        return RuleConfigError(f"{where}, column {column!r}: {message}")

    for column in ("sku", "name", "price", "currency"):
        if not cell(column):
            raise fail(column, "must not be empty")
    currency = cell("currency").upper()
    if not re.fullmatch(r"[A-Z]{3}", currency):
        raise fail("currency", f"{cell('currency')!r} is not a currency code like EUR")
    promo_price = _optional_price(cell("promo_price"), lambda m: fail("promo_price", m))
    start = _date(cell("promo_start"), lambda m: fail("promo_start", m))
    end = _date(cell("promo_end"), lambda m: fail("promo_end", m))
    if start and end and end < start:
        raise fail("promo_end", f"{end} is before promo_start {start}")
    if (start or end) and promo_price is None:
        raise fail("promo_price", "promotion dates are set but the promotion price is empty")
    aliases = tuple(a.strip() for a in cell("aliases").split("|") if a.strip())
    return Product(
        sku=cell("sku"),
        name=cell("name"),
        aliases=aliases,
        price=_price(cell("price"), lambda m: fail("price", m)),
        currency=currency,
        promo_price=promo_price,
        promo_start=start,
        promo_end=end,
    )


def _optional_price(value: str, fail) -> Decimal | None:
    return _price(value, fail) if value else None


def _price(value: str, fail) -> Decimal:
    if not _PRICE_RE.fullmatch(value):
        raise fail(f"{value!r} is not a price like 99.99 (dot for decimals, no currency sign)")
    try:
        return Decimal(value)
    except InvalidOperation:  # pragma: no cover - the pattern above already guarantees it
        raise fail(f"{value!r} is not a price") from None


def _date(value: str, fail) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise fail(f"{value!r} is not a date like 2025-11-28") from None
