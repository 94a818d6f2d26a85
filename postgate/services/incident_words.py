"""The words of the incident report: each line of its timeline as a template and parameters.

The report keeps its English ``summary`` (the API, the record), and each timeline event also
carries the ``template`` and ``params`` it was made from, so the web app writes it in the
reader's language (``gateway.reasons.summary_text``), the way rule findings and service
errors are. The templates are marked with ``N_`` for extraction into ``messages.po``;
parameters named ``detail`` or ``text`` are what a platform or a person wrote, quoted as
they are.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

Translate = Callable[[str], str]


def N_(message: str) -> str:
    """Mark text that is translated where it is shown (extraction only)."""
    return message


def plain(message: str) -> str:
    """The English templates as they are: what the record and the API keep."""
    return message


@dataclass(frozen=True)
class Said:
    """A line of the report: its template and what fills it."""

    template: str
    params: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "summary": self.template.format(**self.params),
            "template": self.template,
            "params": dict(self.params),
        }


FREEZES = {
    (None, True, False): N_("all accounts frozen"),
    (None, True, True): N_("all accounts frozen: {why}"),
    (None, False, False): N_("all accounts freeze lifted"),
    (None, False, True): N_("all accounts freeze lifted: {why}"),
    ("account", True, False): N_("{account} frozen"),
    ("account", True, True): N_("{account} frozen: {why}"),
    ("account", False, False): N_("{account} freeze lifted"),
    ("account", False, True): N_("{account} freeze lifted: {why}"),
}
COMPROMISED = {
    (True, False): N_("{target}: marked compromised, credentials revoked"),
    (True, True): N_("{target}: marked compromised, credentials revoked {detail}"),
    (False, False): N_("{target}: marked compromised, credentials NOT revoked"),
    (False, True): N_("{target}: marked compromised, credentials NOT revoked {detail}"),
}
CRISIS_MARKED = N_("crisis statement {target} marked as crisis statement")
CRISIS_PUBLISHED = N_("crisis statement {target} published")
STARTED = N_("takedown started on {accounts} since {since}")
TOKENS_ENDED = N_("{count} sessions and API tokens ended ({users})")
FINISHED = N_("takedown finished: {outcomes}")
LISTING_FAILED = N_("could not list {account}: {detail}")
ITEM = N_("{origin} post {remote_id} on {account}: {outcome}")
ITEM_WHY = N_("{origin} post {remote_id} on {account}: {outcome} ({detail})")
AGAIN = N_("{target}: takedown requested again since {since}")
AGAIN_WIDENED = N_(
    "{target}: takedown requested again since {since}, window widened from {widened_from} to {to}"
)
AGAIN_WIDENED_REVOKED = N_(
    "{target}: takedown requested again since {since}, window widened from {widened_from} "
    "to {to} (credentials already revoked: delete the earlier posts by hand)"
)
FIRST_UNAUTHORIZED = N_("first unauthorized post on {account} ({remote_id}): {text}")
# What the watch saw (its alerts), by kind; ``via`` is ``stream`` or ``poll``.
ALERTS = {
    "unauthorized_post": N_(
        "the watch saw a post Postgate did not publish on {account} ({remote_id}, via {via}): "
        "{text}"
    ),
    "edited": N_(
        "the watch saw a Postgate post edited on {account} ({remote_id}, via {via}): {text}"
    ),
    "deleted": N_("the watch saw a Postgate post deleted on {account} ({remote_id}, via {via})"),
    "profile_changed": N_("the watch saw the profile of {account} change (via {via})"),
}


def freeze(account: str | None, set_: bool, why: str | None) -> Said:
    template = FREEZES[("account" if account else None, set_, bool(why))]
    return Said(template, {"account": account or "", "why": why or ""})


def compromised(target: str, revoked: bool, reason: str) -> Said:
    return Said(COMPROMISED[(revoked, bool(reason))], {"target": target, "detail": reason})


# The labels of the Markdown report (``incident.report_markdown``).
TITLE = N_("Incident report: takedown #{id}")
ACCOUNTS = N_("Accounts: {names}")
WINDOW = N_("Window: posts since {since}")
STARTED_BY = N_("Started by: {user} at {at}")
STATUS = N_("Status: {status} (finished {at})")
FIRST_POST = N_("First unauthorized post: {at}")
FIRST_ALERT = N_("First alert from the watch: {at}")
FROZEN_AT = N_("Frozen: {at}")
OUTCOMES = N_("Outcomes: {outcomes}")
COMPROMISED_ACCOUNTS = N_("Accounts compromised: {names}")
STATEMENTS = N_("Crisis statements published: {names}")
TIMELINE = N_("Timeline")
TIMELINE_HEAD = N_("| time | event | actor | what |")
POSTS = N_("Posts")
POSTS_HEAD = N_("| account | remote id | origin | created | outcome | text |")
GENERATED = N_("_Generated {at} from the audit log._")
