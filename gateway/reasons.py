"""Stored reasons in the reader's language, the stored English kept for the record.

What happened to a post last (``Post.reason``), why an approval stopped counting
(``Approval.void_reason``): the services write these in English, from the fixed templates
below, and the store, the API, the CLI and the audit log keep them so. The template is the
stable code of a reason and its fields are the parameters: a page matches the stored text
against the templates, then shows the template's French filled in with the parameters, so a
reason written before this module (or by an older version) reads in French too.

Text that came from elsewhere is never translated: what a platform answered is shown in a
French sentence that quotes it as "original", a reviewer's rejection in their own words.
Text that matches no template shows as stored, quoted as the original when the post failed.
A new reason in the services needs its template here; ``tests/gateway/test_reason_i18n.py``
lists the ones the services write.
"""

from __future__ import annotations

import re
import string
from functools import cache
from typing import Any

from flask import Flask
from flask_babel import gettext, pgettext

from gateway.i18n import N_, locale_name
from postgate.notifications.kinds import Kind
from postgate.services.incident_words import LISTING_FAILED
from postgate.states import AccountStatus, ItemOrigin, PostStatus

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
EVERYONE = N_("everyone")
# What a takedown says of a post it could not confirm gone, of a credential it could not
# revoke (workers/takedown_account.py, takedown_items.py), and of what it could not check.
TAKEDOWN_TEXTS: tuple[str, ...] = (
    N_("still listed by the platform after the deletion"),
    N_("could not list the account: {detail}"),
    N_("could not read the account's history: {detail}"),
    N_("could not list the account again to check: {detail}"),
    N_("gone when retried: an earlier delete call (its answer lost) took it down"),
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


def account_status(status: str) -> str:
    words = {
        AccountStatus.ACTIVE: pgettext("account status", "active"),
        AccountStatus.FROZEN: pgettext("account status", "frozen"),
        AccountStatus.COMPROMISED: pgettext("account status", "compromised"),
        AccountStatus.DISCONNECTED: pgettext("account status", "disconnected"),
    }
    return words.get(status, status)  # type: ignore[call-overload]


def reason_text(
    text: str, *, quote_unknown: bool = False, templates: tuple[str, ...] = TEMPLATES
) -> str:
    """One stored reason in the reader's language; as stored when no template fits it
    (quoted as the original when ``quote_unknown``, for what came from a platform)."""
    if locale_name() == "en":  # the stored text is English already: the record as it is
        return text
    found = _match(text.strip(), templates) if text else None
    if found is None:
        if quote_unknown and text:
            return gettext(ORIGINAL).format(text=gettext(PLATFORM_REFUSED), original=text)
        return text
    template, params = found
    values: dict[str, Any] = dict(params)
    if "reason" in values:  # what a platform said, but for an approval's own reasons
        quote = not template.startswith("approval voided")
        values["reason"] = reason_text(values["reason"], quote_unknown=quote, templates=templates)
    if "manual" in values:
        values["manual"] = gettext(values["manual"])
    if "status" in values:
        values["status"] = account_status(values["status"])
    try:
        return gettext(template).format(**values)
    except (KeyError, IndexError, ValueError):
        return text


def rules_text(text: str | None) -> str:
    """The author, note or loosening of a rules version in the reader's language; an
    administrator's own note shows as written."""
    text = text or ""
    found = _match(text.strip(), RULE_TEXTS) if text and locale_name() != "en" else None
    if found is None:
        return text
    template, params = found
    try:
        return gettext(template).format(**params)
    except (KeyError, IndexError, ValueError):
        return text


def takedown_text(text: str | None) -> str:
    """What a takedown says of an item, a credential or a gap, in the reader's language.
    Several gaps are joined by "; ": each is translated; what a platform answered is quoted
    as the original."""
    text = text or ""
    templates = TAKEDOWN_TEXTS + TEMPLATES
    if locale_name() == "en" or not text or _match(text.strip(), templates):
        return reason_text(text, templates=templates)
    for at in (m.start() for m in re.finditer("; ", text)):
        first, then = text[:at], text[at + 2 :]
        if _match(first, templates) and _match(then.strip(), templates):
            return gettext(THEN).format(first=takedown_text(first), then=takedown_text(then))
    return gettext(QUOTED).format(original=text)


def notification_params(kind: str, params: dict[str, Any]) -> dict[str, Any]:
    """A notification's stored parameters with its reason in the reader's language
    (``postgate.notifications.inbox.notification_to_dict``): a post's reason, a freeze's; a
    rejection's reason is the reviewer's own words, a failure's what the platform said."""
    reason = params.get("reason")
    if not isinstance(reason, str) or not reason or kind == Kind.POST_REJECTED:
        return params
    shown = reason_text(reason)
    if shown == reason and kind == Kind.POST_FAILED and locale_name() != "en":
        shown = gettext(QUOTED).format(original=reason)  # the body says the platform refused
    return {**params, "reason": shown}


def summary_text(event: dict[str, Any]) -> str:
    """A line of an incident report's timeline in the reader's language
    (``postgate.services.incident_words``): who, what and outcome words translated, what a
    platform or a person wrote as it is."""
    template, params = event.get("template"), event.get("params")
    english = str(event.get("summary") or "")
    if not template or not isinstance(params, dict) or locale_name() == "en":
        return english
    values = dict(params)
    if values.get("origin") == ItemOrigin.UNAUTHORIZED:
        values["origin"] = gettext("unauthorized")
    elif "origin" in values:
        values["origin"] = "Postgate"
    if values.get("users") == "all":
        values["users"] = gettext(EVERYONE)
    elif isinstance(values.get("users"), list):
        values["users"] = ", ".join(str(u) for u in values["users"])
    if values.get("detail") and template != LISTING_FAILED:  # a takedown's own words
        values["detail"] = takedown_text(str(values["detail"]))
    if values.get("why"):
        values["why"] = reason_text(str(values["why"]))
    if "outcome" in values:
        values["outcome"] = gettext(OUTCOMES.get(str(values["outcome"]), str(values["outcome"])))
    try:
        return gettext(template).format(**values)
    except (KeyError, IndexError, ValueError):
        return english


def post_reason(post: Any) -> str:
    """What a page says about a post's status: its reason in the reader's language, then
    what the state columns add (outcome unknown, why it cannot be settled yet).

    A rejection is the reviewer's own words, shown as written; a failure that no template
    fits is what the platform said, quoted as the original."""
    if locale_name() == "en":
        return str(getattr(post, "status_reason", ""))
    reason = str(getattr(post, "reason", None) or "")
    status = getattr(post, "status", "")
    if status == PostStatus.REJECTED:
        text = reason
    else:
        text = reason_text(reason, quote_unknown=status == PostStatus.FAILED)
    notes = [text] if text else []
    if getattr(post, "outcome_unknown", False):
        notes.append(gettext(READ_BACK))
    unresolved = str(getattr(post, "unresolved_reason", None) or "")
    if unresolved:
        notes.append(gettext(UNRESOLVED).format(why=unresolved))
    joined = notes[0] if notes else ""
    for note in notes[1:]:
        joined = gettext(THEN).format(first=joined, then=note)
    return joined


def init_app(app: Flask) -> None:
    app.jinja_env.filters["reason_text"] = reason_text
    app.jinja_env.filters["post_reason"] = post_reason
    app.jinja_env.filters["rules_text"] = rules_text
    app.jinja_env.filters["summary_text"] = summary_text
    app.jinja_env.filters["takedown_text"] = takedown_text
