"""Stored reasons in the reader's language, the stored English kept for the record.

What happened to a post last (``Post.reason``), why an approval stopped counting
(``Approval.void_reason``): the services write these in English, from the fixed templates
below, and the store, the API, the CLI and the audit log keep them so. The template is the
stable code of a reason and its fields are the parameters: a reader's text matches the stored
text against the templates, then shows the template's French filled in with the parameters, so
a reason written before this module (or by an older version) reads in French too.

Text that came from elsewhere is never translated: what a platform answered is shown in a
French sentence that quotes it as "original", a reviewer's rejection in their own words.
Text that matches no template shows as stored, quoted as the original when the post failed.
A new reason in the services needs its template here; ``tests/gateway/test_reason_i18n.py``
lists the ones the services write.

This module knows no Flask: it translates through a :class:`Words` (a ``gettext``, a
``pgettext`` and whether the reader reads English). The web app gives it Flask-Babel's
(``gateway.reasons``); the notifications (e-mails, chat channels: workers have no request)
take :func:`catalogue`, the web app's compiled catalogue read with Babel, English when it is
absent.
"""

from __future__ import annotations

import importlib.util
import re
import string
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from babel.support import NullTranslations, Translations

from postgate.notifications.kinds import Kind
from postgate.services.incident_words import LISTING_FAILED
from postgate.states import AccountStatus, ItemOrigin, PostStatus


def N_(message: str) -> str:
    """Mark text that is translated where it is shown (extraction only)."""
    return message


@dataclass(frozen=True)
class Words:
    """How a reader's text is translated: ``english`` readers get the stored text as it is."""

    gettext: Callable[[str], str]
    pgettext: Callable[[str, str], str]
    english: bool = False


ENGLISH = Words(lambda text: text, lambda _context, text: text, english=True)
DOMAIN = "messages"


def _catalogue_dir() -> Path | None:
    """``gateway/translations`` of the installed web app, found without importing it."""
    spec = importlib.util.find_spec("gateway")
    for base in (spec.submodule_search_locations or []) if spec else []:
        where = Path(base) / "translations"
        if where.is_dir():
            return where
    return None


@cache
def catalogue(language: str) -> Words:
    """The words of ``language`` from the compiled catalogue (``messages.mo``); English when
    the language is English or its catalogue is absent."""
    where = _catalogue_dir()
    if language == "en" or where is None:
        return ENGLISH
    found = Translations.load(str(where), locales=[language], domain=DOMAIN)
    if type(found) is NullTranslations:
        return ENGLISH
    return Words(found.gettext, lambda context, text: str(found.pgettext(context, text)))


# English templates as the services write them, most specific first. Fields named ``reason``
# hold a reason of their own (translated in turn); ``detail`` holds what a platform said
# (quoted, never translated); ``status`` an account status.
TEMPLATES: tuple[str, ...] = (
    N_("blocking findings under the current rules"),
    N_("blocking findings"),
    N_("crisis statement: to review"),
    N_("freeze lifted: back to review"),
    N_("rescheduled by a reviewer"),
    N_("approval voided: {reason}"),
    N_("cancelled by {username}"),
    N_("not published, settled by {username}"),
    N_("taken down (takedown #{id})"),
    N_("takedown #{id}"),  # the reason of the freeze a takedown sets
    N_("waiting: account {account} is disconnected; it publishes once reconnected ({detail})"),
    N_("waiting: account {account} is disconnected; it publishes once reconnected"),
    N_("gave up after {count} attempts: {reason}"),
    N_("gave up after {count} attempts"),
    N_("attempt {count}: {detail}"),
    N_("{reason}; not found on the account"),
    N_("an earlier attempt did not reach the platform"),
    N_("frozen: publishing is suspended for this account"),
    N_("account {account} is {status}"),
    N_("account {account} has no credentials"),
    N_("approvals are no longer complete"),
    N_("content changed since it was hashed: not what was approved"),
    N_("an approval is bound to other content"),
    N_("the text of an image is still being read"),
    N_("blocked by the rules at publish time ({rules})"),
    N_("image {position} is missing from the media storage"),
    N_("image {position}: its bytes are not what was approved"),
    # why an approval stopped counting
    N_("edited"),
    N_("rejected"),
    N_("marked as crisis statement"),
    N_("reviewer {username} revoked"),
)
# Who made a version of the rules and why, and how it loosens protection
# (postgate.services.rule_versions, rule_changes; gateway.web.rules_admin): quoted names
# ("rule \"links\"", "add term 'x'") stay as they are, in French quotes.
RULE_TEXTS: tuple[str, ...] = (
    N_("config files"),
    N_("imported from the configuration files"),
    N_("rollback to version {id}"),
    N_("add term '{term}'"),
    N_("remove term '{term}'"),
    N_("rule '{rule}' edited"),
    N_("catalogue import"),
    N_('rule "{rule}" removed'),
    N_('rule "{rule}" changed kind'),
    N_('rule "{rule}" lowered from block to flag'),
    N_('rule "{rule}": unlisted_severity lowered from block to flag'),
    N_('rule "{rule}": {key} for {platform} back to its default'),
    N_('rule "{rule}": {key} for {platform} set to {value}'),
    N_('rule "{rule}": {key} for {platform} raised from {old} to {new}'),
    N_('rule "{rule}": {key} raised from {old} to {new}'),
    N_('rule "{rule}": {key} lowered from {old} to {new}'),
    N_('rule "{rule}": {key} turned on'),
    N_('rule "{rule}": {key} turned off'),
    N_('rule "{rule}": {listed} removed from {key}'),
    N_('rule "{rule}": {listed} added to {key}'),
    N_('rule "{rule}": posting windows widened ({when} now allowed)'),
    N_('rule "{rule}": {key} changed'),
    N_('rule "{rule}" disabled for account "{account}"'),
    N_('overrides of account "{account}" changed'),
    N_('product "{sku}" deleted'),
    N_('product "{sku}": {fields} changed'),
)
# How a pending change of an account's settings loosens it
# (postgate.services.account_changes._loosened, whose phrases these match exactly).
ACCOUNT_CHANGE_TEXTS: tuple[str, ...] = (
    N_("windows widened ({when} now allowed)"),
    N_("blackout dates removed: {dates}"),
    N_("approvals required lowered from {old} to {new}"),
    N_(
        "time zone changed from {old} to {new}: the posting windows and blackout dates move with it"
    ),
)
# The day of a moment of the week (``sat 08:00``, rules.windows.DAYS) in those sentences.
WEEKDAYS = {
    "mon": N_("Monday"),
    "tue": N_("Tuesday"),
    "wed": N_("Wednesday"),
    "thu": N_("Thursday"),
    "fri": N_("Friday"),
    "sat": N_("Saturday"),
    "sun": N_("Sunday"),
}
EVERYONE = N_("everyone")
# What a takedown says of a post it could not confirm gone, of a credential it could not
# revoke (workers/takedown_account.py, takedown_items.py), and of what it could not check.
TAKEDOWN_TEXTS: tuple[str, ...] = (
    N_("still listed by the platform after the deletion"),
    N_("could not list the account: {detail}"),
    N_("could not read the account's history: {detail}"),
    N_("could not list the account again to check: {detail}"),
    N_("gone when retried: an earlier delete call (its answer lost) took it down"),
    N_(
        "gone when the takedown resumed: a delete call of an earlier run, whose answer was not"
        " stored, took it down; absent from a complete listing of the account and answered 404"
        " when read on its own, so no delete call was sent again"
    ),
    N_("revoked earlier by this takedown"),
    N_("{reason}. By hand: {manual}"),
    N_("the platform offers no revocation through its API"),
    N_("the platform offers no revocation"),
    N_("the revocation failed: {detail}"),
    N_("could not check the revocation: {detail}"),
    N_("{reason}, and the credential still works (checked)"),
    N_(
        "the platform's history could not be read ({detail}): a post whose dates were "
        "back-dated may have escaped; check the account on the platform"
    ),
    N_(
        "the window was widened after the credential was revoked: posts from the earlier "
        "part could not be listed; check the account on the platform"
    ),
    N_(
        "the platform counts {count} posts on the account but lists only {listed}: some "
        "cannot be seen with this credential; check the account on the platform"
    ),
    N_("the account has more than {count} posts: only the newest were checked"),
)
# A takedown item's outcome, as the console's ``outcome`` macro writes it.
OUTCOMES = {"not_found": "not found", "still_live": "still live"}
ORIGINAL = N_("{text} (original: “{original}”)")
PLATFORM_REFUSED = N_("the platform refused the post")
QUOTED = N_("original: “{original}”")
# The notes Post.status_reason adds from the state columns (postgate.states.reason_text).
READ_BACK = N_("outcome unknown: the account is read back before any retry")
THEN = N_("{first}; {then}")
UNRESOLVED = N_("the account cannot be read back to settle the outcome: {why}; still trying")


@cache
def _pattern(template: str) -> re.Pattern[str]:
    parts = []
    for literal, field, _spec, _conv in string.Formatter().parse(template):
        parts.append(re.escape(literal))
        if field is not None:
            parts.append(f"(?P<{field}>.+?)" if field != "count" else rf"(?P<{field}>\d+)")
    return re.compile("".join(parts), re.DOTALL)


def _match(text: str, templates: tuple[str, ...] = TEMPLATES) -> tuple[str, dict[str, str]] | None:
    for template in templates:
        found = _pattern(template).fullmatch(text)
        if found:
            return template, found.groupdict()
    return None


# Kinds whose reason is what a platform answered, unless a template fits it.
PLATFORM_SAID = frozenset({Kind.POST_FAILED, Kind.SECURITY_DISCONNECTED})


def account_status(words: Words, status: str) -> str:
    said = {
        AccountStatus.ACTIVE: words.pgettext("account status", "active"),
        AccountStatus.FROZEN: words.pgettext("account status", "frozen"),
        AccountStatus.COMPROMISED: words.pgettext("account status", "compromised"),
        AccountStatus.DISCONNECTED: words.pgettext("account status", "disconnected"),
    }
    return said.get(status, status)  # type: ignore[call-overload]


def reason_text(
    words: Words, text: str, *, quote_unknown: bool = False, templates: tuple[str, ...] = TEMPLATES
) -> str:
    """One stored reason in the reader's language; as stored when no template fits it
    (quoted as the original when ``quote_unknown``, for what came from a platform)."""
    if words.english:  # the stored text is English already: the record as it is
        return text
    found = _match(text.strip(), templates) if text else None
    if found is None:
        if quote_unknown and text:
            return words.gettext(ORIGINAL).format(
                text=words.gettext(PLATFORM_REFUSED), original=text
            )
        return text
    template, params = found
    values: dict[str, Any] = dict(params)
    if "reason" in values:  # what a platform said, but for an approval's own reasons
        quote = not template.startswith("approval voided")
        values["reason"] = reason_text(
            words, values["reason"], quote_unknown=quote, templates=templates
        )
    if "manual" in values:
        values["manual"] = words.gettext(values["manual"])
    if "status" in values:
        values["status"] = account_status(words, values["status"])
    try:
        return words.gettext(template).format(**values)
    except (KeyError, IndexError, ValueError):
        return text


def rules_text(words: Words, text: str | None) -> str:
    """The author, note or loosening of a rules version in the reader's language; an
    administrator's own note shows as written."""
    return _known_text(words, text or "", RULE_TEXTS)


def account_change_text(words: Words, text: str) -> str:
    """How a pending account change loosens protection, in the reader's language."""
    return _known_text(words, text, ACCOUNT_CHANGE_TEXTS)


def _known_text(words: Words, text: str, known: tuple[str, ...]) -> str:
    """``text`` in the reader's language when it is one of the ``known`` stored sentences
    (a template and its parameters); anything else, or a template that does not fit, as
    written."""
    found = _match(text.strip(), known) if text and not words.english else None
    if found is None:
        return text
    template, params = found
    if "when" in params:
        params["when"] = _moment(words, params["when"])
    try:
        return words.gettext(template).format(**params)
    except (KeyError, IndexError, ValueError):
        return text


def _moment(words: Words, when: str) -> str:
    """``sat 08:00`` with its day in the reader's language; anything else as written."""
    day, _, time = when.partition(" ")
    return f"{words.gettext(WEEKDAYS[day])} {time}" if day in WEEKDAYS and time else when


def takedown_text(words: Words, text: str | None) -> str:
    """What a takedown says of an item, a credential or a gap, in the reader's language.
    Several gaps are joined by "; ": each is translated; what a platform answered is quoted
    as the original."""
    text = text or ""
    templates = TAKEDOWN_TEXTS + TEMPLATES
    if words.english or not text or _match(text.strip(), templates):
        return reason_text(words, text, templates=templates)
    for at in (m.start() for m in re.finditer("; ", text)):
        first, then = text[:at], text[at + 2 :]
        if _match(first, templates) and _match(then.strip(), templates):
            return words.gettext(THEN).format(
                first=takedown_text(words, first), then=takedown_text(words, then)
            )
    return words.gettext(QUOTED).format(original=text)


def notification_params(words: Words, kind: str, params: dict[str, Any]) -> dict[str, Any]:
    """A notification's stored parameters with its reason in the reader's language (the
    in-app list, ``postgate.notifications.inbox.notification_to_dict``, and every channel,
    ``postgate.notifications.messages.render``): a post's reason, a freeze's, a takedown's
    gaps; a rejection's reason is the reviewer's own words, shown as written; what a platform
    said (a failure, a disconnection) is quoted as the original when no template fits it."""
    reason = params.get("reason")
    if not isinstance(reason, str) or not reason or kind == Kind.POST_REJECTED:
        return params
    if kind == Kind.SECURITY_TAKEDOWN_GAP:
        return {**params, "reason": takedown_text(words, reason)}
    shown = reason_text(words, reason)
    if shown == reason and kind in PLATFORM_SAID and not words.english:
        shown = words.gettext(QUOTED).format(original=reason)  # the body says who said it
    return {**params, "reason": shown}


def summary_text(words: Words, event: dict[str, Any]) -> str:
    """A line of an incident report's timeline in the reader's language
    (``postgate.services.incident_words``): who, what and outcome words translated, what a
    platform or a person wrote as it is."""
    template, params = event.get("template"), event.get("params")
    english = str(event.get("summary") or "")
    if not template or not isinstance(params, dict) or words.english:
        return english
    values = dict(params)
    if values.get("origin") == ItemOrigin.UNAUTHORIZED:
        values["origin"] = words.gettext("unauthorized")
    elif "origin" in values:
        values["origin"] = "Postgate"
    if values.get("users") == "all":
        values["users"] = words.gettext(EVERYONE)
    elif isinstance(values.get("users"), list):
        values["users"] = ", ".join(str(u) for u in values["users"])
    if values.get("detail") and template != LISTING_FAILED:  # a takedown's own words
        values["detail"] = takedown_text(words, str(values["detail"]))
    if values.get("why"):
        values["why"] = reason_text(words, str(values["why"]))
    if "outcome" in values:
        values["outcome"] = words.gettext(
            OUTCOMES.get(str(values["outcome"]), str(values["outcome"]))
        )
    try:
        return words.gettext(template).format(**values)
    except (KeyError, IndexError, ValueError):
        return english


def post_reason(words: Words, post: Any) -> str:
    """What a page says about a post's status: its reason in the reader's language, then
    what the state columns add (outcome unknown, why it cannot be settled yet).

    A rejection is the reviewer's own words, shown as written; a failure that no template
    fits is what the platform said, quoted as the original."""
    if words.english:
        return str(getattr(post, "status_reason", ""))
    reason = str(getattr(post, "reason", None) or "")
    status = getattr(post, "status", "")
    if status == PostStatus.REJECTED:
        text = reason
    else:
        text = reason_text(words, reason, quote_unknown=status == PostStatus.FAILED)
    notes = [text] if text else []
    if getattr(post, "outcome_unknown", False):
        notes.append(words.gettext(READ_BACK))
    unresolved = str(getattr(post, "unresolved_reason", None) or "")
    if unresolved:
        notes.append(words.gettext(UNRESOLVED).format(why=unresolved))
    joined = notes[0] if notes else ""
    for note in notes[1:]:
        joined = words.gettext(THEN).format(first=joined, then=note)
    return joined
