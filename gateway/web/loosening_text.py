"""The reasons a rules version loosens protection, in the reader's language.

:mod:`postgate.services.rule_changes` stores them as English sentences (the audit log and the
API keep them so); the pages read each one back against the shapes that module writes and
show it translated, or as stored when it has another shape."""

from __future__ import annotations

import re
from collections.abc import Callable

from flask_babel import gettext as _

_RULE = r'rule "(?P<rule>[^"]+)"'
_SHAPES: list[tuple[re.Pattern[str], Callable[[dict[str, str]], str]]] = [
    (re.compile(rf"^{_RULE} removed$"), lambda p: _('rule "%(rule)s" removed', **p)),
    (re.compile(rf"^{_RULE} changed kind$"), lambda p: _('rule "%(rule)s" changed kind', **p)),
    (
        re.compile(rf"^{_RULE} lowered from block to flag$"),
        lambda p: _('rule "%(rule)s" lowered from block to flag', **p),
    ),
    (
        re.compile(rf'^{_RULE} disabled for account "(?P<account>[^"]+)"$'),
        lambda p: _('rule "%(rule)s" disabled for account "%(account)s"', **p),
    ),
    (
        re.compile(r'^overrides of account "(?P<account>[^"]+)" changed$'),
        lambda p: _('overrides of account "%(account)s" changed', **p),
    ),
    (
        re.compile(r'^product "(?P<sku>[^"]+)" deleted$'),
        lambda p: _('product "%(sku)s" deleted', **p),
    ),
    (
        re.compile(r'^product "(?P<sku>[^"]+)": (?P<columns>.+) changed$'),
        lambda p: _('product "%(sku)s": %(columns)s changed', **p),
    ),
    (
        re.compile(rf"^{_RULE}: (?P<items>.+) removed from (?P<key>\w+)$"),
        lambda p: _('rule "%(rule)s": %(items)s removed from %(key)s', **p),
    ),
    (
        re.compile(rf"^{_RULE}: (?P<items>.+) added to (?P<key>\w+)$"),
        lambda p: _('rule "%(rule)s": %(items)s added to %(key)s', **p),
    ),
    (
        re.compile(rf"^{_RULE}: posting windows widened \((?P<when>.+) now allowed\)$"),
        lambda p: _('rule "%(rule)s": posting windows widened (%(when)s now allowed)', **p),
    ),
    (
        re.compile(rf"^{_RULE}: unlisted_severity lowered from block to flag$"),
        lambda p: _('rule "%(rule)s": unlisted_severity lowered from block to flag', **p),
    ),
    (
        re.compile(rf"^{_RULE}: (?P<key>\w+) for (?P<platform>\w+) back to its default$"),
        lambda p: _('rule "%(rule)s": %(key)s for %(platform)s back to its default', **p),
    ),
    (
        re.compile(rf"^{_RULE}: (?P<key>\w+) for (?P<platform>\w+) set to (?P<new>\S+)$"),
        lambda p: _(
            'rule "%(rule)s": %(key)s for %(platform)s set to %(new)s (was the platform\'s '
            "default)",
            **p,
        ),
    ),
    (
        re.compile(
            rf"^{_RULE}: (?P<key>\w+) for (?P<platform>\w+) raised from (?P<old>\S+) to "
            r"(?P<new>\S+)$"
        ),
        lambda p: _(
            'rule "%(rule)s": %(key)s for %(platform)s raised from %(old)s to %(new)s', **p
        ),
    ),
    (
        re.compile(rf"^{_RULE}: (?P<key>\w+) raised from (?P<old>\S+) to (?P<new>\S+)$"),
        lambda p: _('rule "%(rule)s": %(key)s raised from %(old)s to %(new)s', **p),
    ),
    (
        re.compile(rf"^{_RULE}: (?P<key>\w+) lowered from (?P<old>\S+) to (?P<new>\S+)$"),
        lambda p: _('rule "%(rule)s": %(key)s lowered from %(old)s to %(new)s', **p),
    ),
    (
        re.compile(rf"^{_RULE}: (?P<key>\w+) turned on$"),
        lambda p: _('rule "%(rule)s": %(key)s turned on', **p),
    ),
    (
        re.compile(rf"^{_RULE}: (?P<key>\w+) turned off$"),
        lambda p: _('rule "%(rule)s": %(key)s turned off', **p),
    ),
    (
        re.compile(rf"^{_RULE}: (?P<key>\w+) changed$"),
        lambda p: _('rule "%(rule)s": %(key)s changed', **p),
    ),
]
_ACCOUNT = re.compile(r'^account "(?P<account>[^"]+)": (?P<inner>.+)$')


def loosening_text(reason: str) -> str:
    """One stored reason in the reader's language (as stored when its shape is unknown)."""
    nested = _ACCOUNT.match(reason)
    if nested:
        inner = loosening_text(nested.group("inner"))
        return _('account "%(account)s": %(reason)s', account=nested.group("account"), reason=inner)
    for pattern, shown in _SHAPES:
        found = pattern.match(reason)
        if found:
            return shown(found.groupdict())
    return reason
