"""The one exception of the rule engine: a configuration it cannot use.

Kept apart from the value types (:mod:`rules.base`) so that everything reading the
configuration (options, catalogue, loader) can raise it without depending on the rules.
"""

from __future__ import annotations


class RuleConfigError(ValueError):
    """Bad rule configuration; the message names the file, line or key at fault."""
