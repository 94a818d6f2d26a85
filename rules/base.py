"""The value types every rule speaks, and the one base class rules share.

Everything here is immutable so that a rule set can be shared between threads
and an evaluation can be stored as-is next to the post it judged.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from types import MappingProxyType
from typing import ClassVar

from .options import Options

BLOCK = "block"
FLAG = "flag"
SEVERITIES = (BLOCK, FLAG)


def _require_aware(name: str, value: datetime | None) -> None:
    """A naive datetime would silently be read in the server's zone: refuse it."""
    if value is not None and (value.tzinfo is None or value.utcoffset() is None):
        raise ValueError(f"{name} must be an aware datetime (with a time zone), got {value!r}")


_TRANSLATED: dict[str, None] = {}


class Template(str):
    """A finding's message in English with named ``{fields}``, translated where it is shown.

    The engine keeps no language of its own: a finding carries its English ``message`` (what
    the API and stored rows carry) and the template and parameters it was made from, so the
    web layer can show ``gettext(template).format(**params)`` in the reader's language.
    Define each template once, at module level: creating one lists it in `templates()`, which
    the tests hold against the French catalog, and `Rule.finding` refuses a plain string.

    Parameters are JSON scalars. Every value a reader sees must read the same in any
    language, or be named so the web layer can reformat it: ``date`` and ``*_date`` hold an
    ISO date (YYYY-MM-DD), ``*_price`` an amount and a currency code ("99.99 EUR"),
    ``windows`` posting windows as configured ("mon-fri 08:00-20:00; sat 10:00-14:00"). Words
    never travel as parameters: a sentence that changes with a case gets a template per case.
    """

    __slots__ = ()

    def __new__(cls, text: str, *, translated: bool = True) -> Template:
        template = super().__new__(cls, text)
        if translated:
            _TRANSLATED.setdefault(str(template))
        return template


def templates() -> tuple[str, ...]:
    """Every template that needs a translation (all of them once `rules` is imported)."""
    return tuple(_TRANSLATED)


# Text an administrator wrote in the configuration (a pattern rule's `message`): shown as
# written, in whatever language it was written in.
VERBATIM = Template("{text}", translated=False)


def _no_params() -> Mapping[str, str | int]:
    return MappingProxyType({})


@dataclass(frozen=True)
class Finding:
    """One thing a rule found in a draft; `span` is [start, end) in the draft text.

    `message` is `template` filled in with `params` (see `Template`); a finding built
    without a template has only its message.
    """

    rule: str
    severity: str
    message: str
    span: tuple[int, int] | None = None
    template: str = ""
    params: Mapping[str, str | int] = field(default_factory=_no_params, hash=False)
    image: int | None = None  # which image (from 1) the finding is about
    image_text: str = ""  # the text read in that image; `span` is then within it

    def to_dict(self) -> dict:
        found: dict[str, object] = {
            "rule": self.rule,
            "severity": self.severity,
            "message": self.message,
            "span": list(self.span) if self.span is not None else None,
            "template": self.template or None,
            "params": dict(self.params),
        }
        if self.image is not None:
            found |= {"image": self.image, "image_text": self.image_text}
        return found


@dataclass(frozen=True)
class DraftImage:
    """One image of a draft, in order: its alternative text, and the text read in it
    (by OCR, before the rules run: the engine reads no pixels)."""

    position: int  # from 1, in the post's order
    alt: str
    text: str = ""
    size: int = 0  # bytes


@dataclass(frozen=True)
class Draft:
    """The post as it would be published."""

    text: str
    account: str
    platform: str
    scheduled_at: datetime | None = None
    media_count: int = 0
    crisis_statement: bool = False
    images: tuple[DraftImage, ...] = ()

    def __post_init__(self) -> None:
        _require_aware("Draft.scheduled_at", self.scheduled_at)
        if self.images and self.media_count < len(self.images):
            object.__setattr__(self, "media_count", len(self.images))


@dataclass(frozen=True)
class PlatformLimits:
    """How one platform measures a post, handed in by the caller: the engine knows no platform.

    A post may be ``max_length`` characters as the platform counts them: grapheme clusters,
    or X's weights (``weighted``: most Latin characters 1, others and emoji 2); with
    ``url_length`` set each link counts that many (``bare_domains``: also links written
    without a scheme), and with ``local_mentions`` "@user@server" counts as "@user".
    """

    max_length: int
    max_media: int
    url_length: int | None = None
    bare_domains: bool = False
    weighted: bool = False
    local_mentions: bool = False
    max_alt_length: int | None = None  # characters of an image's alternative text
    max_image_bytes: int | None = None  # the largest image file the platform takes
    min_media: int = 0  # images every post needs (Instagram: 1)


@dataclass(frozen=True)
class Context:
    """What the rules need to know about the world besides the draft itself.

    ``limits`` are the draft's platform's (None when the caller knows no such platform).
    """

    now: datetime
    timezone: str = "UTC"
    windows: tuple[str, ...] = ()
    blackout_dates: tuple[date, ...] = ()
    frozen: bool = False
    recent_posts: tuple[str, ...] = ()
    limits: PlatformLimits | None = None

    def __post_init__(self) -> None:
        _require_aware("Context.now", self.now)

    def moment(self, draft: Draft) -> datetime:
        """When the draft would go out: its scheduled time, else now."""
        return draft.scheduled_at if draft.scheduled_at is not None else self.now


def _sort_key(finding: Finding) -> tuple:
    start, end = finding.span if finding.span is not None else (-1, -1)
    image = finding.image or 0
    return (image, start, end, finding.rule, finding.severity, finding.message)


@dataclass(frozen=True)
class Evaluation:
    """All findings for one draft under one rule-set version, sorted by span start."""

    version: str
    findings: tuple[Finding, ...]

    @property
    def blocked(self) -> bool:
        return any(f.severity == BLOCK for f in self.findings)

    def to_dict(self) -> dict:
        return {
            "version": self.version,
            "blocked": self.blocked,
            "findings": [f.to_dict() for f in self.findings],
        }


def sort_findings(findings: list[Finding]) -> tuple[Finding, ...]:
    """Whole-post findings (no span) first, then by span start; ties broken deterministically."""
    return tuple(sorted(set(findings), key=_sort_key))


class Rule:
    """Base class: a configured rule with an id and a severity.

    Subclasses set `kind` (the config name) and `default_severity`, build
    themselves in `from_config` and implement `evaluate` as a pure function.
    """

    kind: ClassVar[str] = ""
    default_severity: ClassVar[str] = BLOCK
    # True for rules about what a text says (terms, prices, links, personal data): they also
    # read the text found in each image, and their findings then name the image.
    reads_images: ClassVar[bool] = False

    def __init__(self, rule_id: str, severity: str) -> None:
        self.id = rule_id
        self.severity = severity

    @classmethod
    def from_config(cls, rule_id: str, severity: str, opts: Options) -> Rule:
        """Build the rule from its config entry; raise `opts.error(...)` on bad options."""
        raise NotImplementedError

    def evaluate(self, draft: Draft, context: Context) -> list[Finding]:
        raise NotImplementedError

    def finding(
        self,
        template: Template,
        span: tuple[int, int] | None = None,
        severity: str | None = None,
        /,
        **params: str | int,
    ) -> Finding:
        """A finding of this rule: `template` (a module-level `Template`) filled with `params`
        (``span`` and ``severity`` are positional, so no parameter can be taken for them)."""
        if not isinstance(template, Template):
            raise TypeError(f"rule {self.id}: a finding needs a Template, got {template!r}")
        message = template.format(**params)
        return Finding(
            self.id,
            severity or self.severity,
            message,
            span,
            str(template),
            MappingProxyType(params),
        )

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.id!r} {self.severity}>"
