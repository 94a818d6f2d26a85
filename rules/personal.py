"""Personal data: e-mail addresses, phone numbers, card numbers and IBANs.

A company account posting a customer's details is a data breach in public.
Card numbers and IBANs count only when their checksum is valid (Luhn, ISO
13616 mod-97), so order numbers and prices do not raise false alarms.
"""

from __future__ import annotations

import re

from .base import BLOCK, Context, Draft, Finding, Rule, Template
from .options import Options

TYPES = ("card", "iban", "email", "phone")

_EMAIL_RE = re.compile(r"(?<![\w.+/@-])[\w.+-]+@((?:[\w-]+\.)+[a-zA-Z]{2,})\b")
_CARD_RE = re.compile(r"(?<![\d-])\d(?:[ -]?\d){12,18}(?![\d])")
_IBAN_RE = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b")
_PHONE_RE = re.compile(
    r"""(?x)
    (?<![\w+])
    (?:
        (?:\+33|0033)[ .-]?\(?0?\)?[ .-]?[1-9](?:[ .-]?\d{2}){4}    # +33 6 12 34 56 78
      | 0[1-9](?:[ .-]?\d{2}){4}                                  # 06 12 34 56 78
      | \+[1-9]\d{0,2}(?:[ .-]?\(?\d{1,4}\)?){2,5}                # +44 20 7946 0958
    )
    (?![\w])
    """
)
MESSAGES = {
    "card": Template("The post contains what looks like a payment card number."),
    "iban": Template("The post contains what looks like an IBAN."),
    "email": Template("The post contains what looks like an e-mail address."),
    "phone": Template("The post contains what looks like a phone number."),
}


def luhn_valid(digits: str) -> bool:
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char)
        if position % 2:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


def iban_valid(iban: str) -> bool:
    iban = iban.replace(" ", "").upper()
    if not 15 <= len(iban) <= 34:
        return False
    rearranged = iban[4:] + iban[:4]
    return int("".join(str(int(c, 36)) for c in rearranged)) % 97 == 1


def _cards(text: str) -> list[tuple[int, int]]:
    spans = []
    for m in _CARD_RE.finditer(text):
        digits = re.sub(r"\D", "", m.group())
        if 13 <= len(digits) <= 19 and luhn_valid(digits):
            spans.append(m.span())
    return spans


def _ibans(text: str) -> list[tuple[int, int]]:
    return [m.span() for m in _IBAN_RE.finditer(text) if iban_valid(m.group())]


def _phones(text: str) -> list[tuple[int, int]]:
    spans = []
    for m in _PHONE_RE.finditer(text):
        digits = re.sub(r"\D", "", m.group())
        if 8 <= len(digits) <= 15:
            spans.append(m.span())
    return spans


class PersonalDataRule(Rule):
    """`types` picks what to look for; `allow_email_domains` spares the company's own
    contact addresses (subdomains included)."""

    kind = "personal_data"
    reads_images = True
    default_severity = BLOCK

    def __init__(
        self, rule_id: str, severity: str, types: tuple[str, ...], allow_domains: tuple[str, ...]
    ) -> None:
        super().__init__(rule_id, severity)
        self.types = types
        self.allow_domains = allow_domains

    @classmethod
    def from_config(cls, rule_id: str, severity: str, opts: Options) -> PersonalDataRule:
        types = tuple(opts.strings("types")) or TYPES
        for kind in types:
            if kind not in TYPES:
                raise opts.error(
                    "types",
                    "unknown type {type!r}; known: {known}",
                    type=kind,
                    known=", ".join(TYPES),
                )
        allow = tuple(d.lower().strip(".") for d in opts.strings("allow_email_domains"))
        return cls(rule_id, severity, types, allow)

    def _emails(self, text: str) -> list[tuple[int, int]]:
        spans = []
        for m in _EMAIL_RE.finditer(text):
            domain = m.group(1).lower()
            if not any(domain == d or domain.endswith("." + d) for d in self.allow_domains):
                spans.append(m.span())
        return spans

    def evaluate(self, draft: Draft, context: Context) -> list[Finding]:
        finders = {"card": _cards, "iban": _ibans, "email": self._emails, "phone": _phones}
        taken: list[tuple[int, int]] = []
        findings = []
        for kind in TYPES:  # most specific first: a card number is not also a phone number
            if kind not in self.types:
                continue
            for span in finders[kind](draft.text):
                if any(span[0] < end and start < span[1] for start, end in taken):
                    continue
                taken.append(span)
                findings.append(self.finding(MESSAGES[kind], span))
        return findings
