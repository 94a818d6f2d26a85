"""The details of the audit events that the incident report reads, typed, one builder each.

The audit log records; it is not read back to decide what to do. One reader interprets it:
the incident report of a takedown (:mod:`postgate.services.incident`), which turns entries
into a timeline. So that writer and reader cannot drift apart, the details of each event it
reads have one shape here, and the writers build them only through these functions. Entries
already in the log stay as they were written (the chain is evidence), so the reader still
treats every key as possibly absent.

No ``from __future__ import annotations`` here: Python 3.11 reads ``NotRequired`` only from
evaluated annotations, and a TypedDict's ``__required_keys__`` must be right at run time.
"""

from collections.abc import Iterable
from datetime import datetime
from typing import Any, Literal, NotRequired, TypedDict

FreezeScope = Literal["global", "account"]


class FreezeSet(TypedDict):
    """``freeze:set``: what was frozen, why, and the posts in flight at that moment."""

    scope: FreezeScope
    account: str | None
    reason: str
    in_flight: list[int]
    takedown: NotRequired[int]


def freeze_set(
    account: str | None, reason: str, in_flight: Iterable[int], takedown: int | None
) -> FreezeSet:
    details = FreezeSet(
        scope="account" if account else "global",
        account=account,
        reason=reason,
        in_flight=list(in_flight),
    )
    if takedown is not None:
        details["takedown"] = takedown
    return details


class FreezeLift(TypedDict):
    """``freeze:lift``: the scope lifted, and whether a wider freeze still holds the account."""

    scope: FreezeScope
    account: str | None
    still_frozen: bool


def freeze_lift(account: str | None, still_frozen: bool) -> FreezeLift:
    return FreezeLift(
        scope="account" if account else "global", account=account, still_frozen=still_frozen
    )


class TakedownStart(TypedDict):
    """``takedown:start``: the accounts a new takedown covers, its window and its scope
    (``include_postgate``, ``exclude``: :mod:`postgate.services.takedown_scope`)."""

    accounts: list[str]
    since: str
    joined: list[int]
    include_postgate: NotRequired[str | list[str]]
    exclude: NotRequired[list[str]]


def takedown_start(
    accounts: Iterable[str],
    since: datetime,
    joined: list[int],
    scope: dict[str, Any] | None = None,
) -> TakedownStart:
    start = TakedownStart(accounts=list(accounts), since=since.isoformat(), joined=joined)
    if scope:
        start["include_postgate"] = scope["include_postgate"]
        start["exclude"] = scope["exclude"]
    return start


class TokensEnded(TypedDict):
    """``token:revoke`` on a takedown: how many sessions and API tokens it ended, whose."""

    tokens_ended: int
    users: list[str] | Literal["all"]
    kept: int | None
    created: bool
    joined: list[int]


def tokens_ended(
    ended: int, users: list[str] | None, kept: int | None, created: bool, joined: list[int]
) -> TokensEnded:
    return TokensEnded(
        tokens_ended=ended, users=users or "all", kept=kept, created=created, joined=joined
    )


class AccountTakedown(TypedDict):
    """``account:takedown``: a request that joined a running takedown on one account."""

    takedown: int
    account_id: int
    requested_since: str
    since: str
    widened_from: str | None
    credentials_revoked_already: bool
    # The join asked for more of Postgate's posts: the scope before and after it
    include_postgate: NotRequired[str | list[str]]
    include_postgate_from: NotRequired[str | list[str]]


def account_takedown(
    takedown: int,
    account_id: int,
    requested_since: datetime,
    since: datetime,
    widened_from: datetime | None,
    credentials_revoked_already: bool,
    scope_change: tuple[Any, Any] | None = None,
) -> AccountTakedown:
    entry = AccountTakedown(
        takedown=takedown,
        account_id=account_id,
        requested_since=requested_since.isoformat(),
        since=since.isoformat(),
        widened_from=widened_from.isoformat() if widened_from else None,
        credentials_revoked_already=credentials_revoked_already,
    )
    if scope_change is not None:
        entry["include_postgate_from"], entry["include_postgate"] = scope_change
    return entry


class AccountCompromised(TypedDict):
    """``account:compromised``: a takedown's part on one account ended, credentials revoked
    or not (and then why not)."""

    takedown: int
    account_id: int
    since: str
    credentials_revoked: bool
    reason: str
    gaps: NotRequired[str]


def account_compromised(
    takedown: int, account_id: int, since: datetime, revoked: bool, reason: str, gaps: str = ""
) -> AccountCompromised:
    """``credentials_revoked`` only once Postgate checked the credential no longer works;
    ``gaps``: what the check after the deletions could not verify."""
    return AccountCompromised(
        takedown=takedown,
        account_id=account_id,
        since=since.isoformat(),
        credentials_revoked=revoked,
        reason=reason or ("" if revoked else "the platform offers no revocation"),
        gaps=gaps,
    )


class TakedownItem(TypedDict):
    """``takedown:item``: what became of one post a takedown covers."""

    account: str
    remote_id: str
    origin: str
    outcome: str
    reason: str
    created_at: str | None
    post: int | None


def takedown_item(
    account: str,
    remote_id: str,
    origin: str,
    outcome: str,
    reason: str,
    created_at: str | None,
    post: int | None,
) -> TakedownItem:
    return TakedownItem(
        account=account,
        remote_id=remote_id,
        origin=str(origin),
        outcome=str(outcome),
        reason=reason,
        created_at=created_at,
        post=post,
    )


class ListingFailed(TypedDict):
    """``takedown:item`` with ``result=failed``: an account could not be listed at all."""

    account: str
    listing_failed: str


def listing_failed(account: str, reason: str) -> ListingFailed:
    return ListingFailed(account=account, listing_failed=reason)


class WatchAlert(TypedDict):
    """``watch.alert``: what the watch saw on an account that Postgate did not do, when it
    happened on the platform (``at``) and how it was seen (``stream`` or ``poll``); the
    entry's own time is when Postgate noticed."""

    alert: int
    account: str
    kind: str
    remote_id: str
    url: str | None
    text: str
    at: str
    via: str


def watch_alert(
    alert: int,
    account: str,
    kind: str,
    remote_id: str,
    url: str | None,
    text: str,
    at: datetime,
    via: str,
) -> WatchAlert:
    return WatchAlert(
        alert=alert,
        account=account,
        kind=kind,
        remote_id=remote_id,
        url=url,
        text=text[:1000],
        at=at.isoformat(),
        via=via,
    )


def takedown_done(outcomes: Iterable[str]) -> dict[str, int]:
    """``takedown:done``: how many items ended in each outcome."""
    counts: dict[str, int] = {}
    for outcome in outcomes:
        counts[str(outcome)] = counts.get(str(outcome), 0) + 1
    return counts
