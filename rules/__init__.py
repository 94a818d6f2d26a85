"""Postgate's content rule engine: a draft and its context in, findings out.

A plain library (no web framework, store or queue): `load_ruleset` reads the
configuration once, `RuleSet.evaluate` is a pure function of its arguments.
"""

from .base import (
    VERBATIM,
    Context,
    Draft,
    DraftImage,
    Evaluation,
    Finding,
    PlatformLimits,
    Rule,
    Template,
    templates,
)
from .config import load_ruleset, parse_ruleset
from .errors import Place, RuleConfigError
from .limits import count_length
from .links import extract_links
from .registry import RULE_KINDS
from .ruleset import RuleSet
from .windows import Window, WindowError, day_number, parse_window

__all__ = [
    "RULE_KINDS",
    "VERBATIM",
    "Context",
    "Draft",
    "DraftImage",
    "Evaluation",
    "Finding",
    "Place",
    "PlatformLimits",
    "Rule",
    "RuleConfigError",
    "RuleSet",
    "Template",
    "Window",
    "WindowError",
    "count_length",
    "day_number",
    "extract_links",
    "load_ruleset",
    "parse_ruleset",
    "parse_window",
    "templates",
]
