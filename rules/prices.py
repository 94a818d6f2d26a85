"""Prices: a catalogued product named next to a price must carry its real price.

A wrong price in a public post can bind the company (and draws complaints), so
a mismatch blocks. Products are found like banned terms (folded, word-bounded)
from their names and aliases; prices are read in the formats people write them
in French and English; each price goes to the nearest product before it in the
same sentence (else the nearest after it) within `distance` characters.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .base import BLOCK, Context, Draft, Finding, Rule, Template
from .catalog import Catalog, Product
from .options import Options
from .terms import Term, TermMatcher, parse_term

_NUM = r"(?:\d{1,3}(?:[ \u00a0\u202f.,']\d{3})+|\d+)(?:[.,]\d{1,2})?"
_PRICE_RE = re.compile(
    rf"""(?x)
    (?<![\w.,])
    (?:
        (?P<pc>€|\$|£|(?:EUR|USD|GBP|CHF)(?=\s?\d))\s?(?P<pa>{_NUM})(?:,-)?   # €9.99, EUR 9.99
      | (?P<sa>{_NUM})\s?(?P<sc>€|\$|£|(?:EUR|USD|GBP|CHF)\b|,-|\.-)           # 9,99 €, 99,-
      | (?P<ba>\d{{1,3}}(?:[ ,.]\d{{3}})*[.,]\d{{2}})                           # 1,299.00
    )
    (?![.,]?\d)
    """
)
# Whole literals, one per case, so that a message extractor sees each of them.
WRONG_PRICE = Template(
    'The post says "{stated}" for {product}, but the catalogue price is {expected_price}.'
)
WRONG_CURRENCY = Template(
    'The post says "{stated}" for {product}, but the catalogue price is {expected_price}, '
    "not in {currency}."
)
WRONG_PRICE_PROMO_ON = Template(
    'The post says "{stated}" for {product}, but the catalogue price is {expected_price} '
    "(promotion {promo_price}, {start_date} to {end_date}, in force)."
)
WRONG_PRICE_PROMO_OFF = Template(
    'The post says "{stated}" for {product}, but the catalogue price is {expected_price} '
    "(promotion {promo_price}, {start_date} to {end_date}, not in force on that day)."
)
OPEN_END = "…"  # a promotion without a start or an end date

_SYMBOLS = {"€": "EUR", "$": "USD", "£": "GBP"}
_SENTENCE_END_RE = re.compile(r"[.!?;…\n](?=\s|$)")


@dataclass(frozen=True)
class Price:
    amount: Decimal
    currency: str | None  # None when the post gives no currency ("99,-", "1,299.00")
    span: tuple[int, int]


def parse_amount(raw: str) -> Decimal:
    """'1 299,00' -> 1299.00; a last separator followed by 1-2 digits marks the decimals."""
    digits = re.sub(r"[ \u00a0\u202f']", "", raw)
    match = re.search(r"[.,](\d{1,2})$", digits)
    whole = digits[: match.start()] if match else digits
    whole = whole.replace(".", "").replace(",", "")
    return Decimal(f"{whole}.{match.group(1)}") if match else Decimal(whole)


def find_prices(text: str) -> list[Price]:
    prices = []
    for m in _PRICE_RE.finditer(text):
        raw = m.group("pa") or m.group("sa") or m.group("ba")
        sign = m.group("pc") or m.group("sc")
        currency = _SYMBOLS.get(sign, sign) if sign and sign[0] not in ",." else None
        prices.append(Price(parse_amount(raw), currency, m.span()))
    return prices


def _money(amount: Decimal, currency: str) -> str:
    return f"{amount.quantize(Decimal('0.01'))} {currency}"


@dataclass(frozen=True)
class Mention:
    products: tuple[Product, ...]
    span: tuple[int, int]


class PricesRule(Rule):
    kind = "prices"
    reads_images = True
    default_severity = BLOCK

    def __init__(self, rule_id: str, severity: str, catalog: Catalog, distance: int) -> None:
        super().__init__(rule_id, severity)
        self.distance = distance
        terms: dict[str, Term] = {}
        self._products: dict[str, list[Product]] = {}
        for product in catalog.products:
            for name in (product.name, *product.aliases):
                parsed = parse_term(name, whole_words=True, leet=False)
                if parsed:
                    terms.setdefault(*parsed)
                    self._products.setdefault(parsed[0], []).append(product)
        self.matcher = TermMatcher(terms, leet=False)

    @classmethod
    def from_config(cls, rule_id: str, severity: str, opts: Options) -> PricesRule:
        if opts.catalog is None:
            raise opts.error(None, "a prices rule needs a product catalogue (catalog_path)")
        distance = int(opts.number("distance", 60, 1, 1000))
        return cls(rule_id, severity, opts.catalog, distance)

    def evaluate(self, draft: Draft, context: Context) -> list[Finding]:
        hits = self.matcher.find(draft.text)
        if not hits:
            return []
        prices = find_prices(draft.text)
        if not prices:
            return []
        mentions = _outermost([Mention(tuple(self._products[t.key]), span) for t, span in hits])
        ends = [m.end() for m in _SENTENCE_END_RE.finditer(draft.text)]
        day = _local_day(draft, context)
        findings = []
        for price in prices:
            mention = self._mention_for(price, mentions, ends)
            if mention is not None:
                problem = _mismatch(price, mention.products, day, draft.text)
                if problem:
                    template, params = problem
                    findings.append(self.finding(template, price.span, **params))
        return findings

    def _mention_for(
        self, price: Price, mentions: list[Mention], ends: list[int]
    ) -> Mention | None:
        def same_sentence(a: int, b: int) -> bool:
            return not any(a < end <= b for end in ends)

        before = [
            m
            for m in mentions
            if m.span[1] <= price.span[0]
            and price.span[0] - m.span[1] <= self.distance
            and same_sentence(m.span[1], price.span[0])
        ]
        if before:
            return max(before, key=lambda m: m.span[1])
        after = [
            m
            for m in mentions
            if m.span[0] >= price.span[1]
            and m.span[0] - price.span[1] <= self.distance
            and same_sentence(price.span[1], m.span[0])
        ]
        return min(after, key=lambda m: m.span[0]) if after else None


def _outermost(mentions: list[Mention]) -> list[Mention]:
    """Drop mentions inside a longer one ("Aurora" inside "Casque Aurora Pro")."""
    return [
        m
        for m in mentions
        if not any(
            o is not m and o.span[0] <= m.span[0] and m.span[1] <= o.span[1] and o.span != m.span
            for o in mentions
        )
    ]


def _local_day(draft: Draft, context: Context) -> date:
    try:
        zone = ZoneInfo(context.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        zone = ZoneInfo("UTC")
    return context.moment(draft).astimezone(zone).date()


def _mismatch(
    price: Price, products: tuple[Product, ...], day: date, text: str
) -> tuple[Template, dict[str, str]] | None:
    """None when the price is right for one of the products, else the message saying why not."""
    for product in products:
        if price.currency not in (None, product.currency):
            continue
        if price.amount == product.price:
            return None
        if product.promo_active(day) and price.amount == product.promo_price:
            return None
    product = products[0]
    params = {
        "stated": text[price.span[0] : price.span[1]],
        "product": product.name,
        "expected_price": _money(product.price, product.currency),
    }
    if price.currency not in (None, product.currency):
        return WRONG_CURRENCY, {**params, "currency": price.currency}
    if product.promo_price is None:
        return WRONG_PRICE, params
    params["promo_price"] = _money(product.promo_price, product.currency)
    params["start_date"] = product.promo_start.isoformat() if product.promo_start else OPEN_END
    params["end_date"] = product.promo_end.isoformat() if product.promo_end else OPEN_END
    return (WRONG_PRICE_PROMO_ON if product.promo_active(day) else WRONG_PRICE_PROMO_OFF), params
