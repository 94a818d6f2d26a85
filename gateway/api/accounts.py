"""``/api/v1/accounts``: list accounts; admins add them, replace credentials, change settings.

Credentials go in once, are verified with the platform, stored encrypted and never come back
out (invariant 9). Every change needs the admin role and a fresh TOTP proof (invariant 3).
"""

from __future__ import annotations

import json
from typing import Annotated, Any

from pydantic import Field

from gateway.access import current_user
from gateway.api import answers
from gateway.api.operations import ApiBlueprint
from gateway.api.types import Limited, SteppedUp, Text, column_length
from gateway.context import rt, source_address
from gateway.reasons import account_change_text
from postgate import policy
from postgate.errors import ValidationFailed
from postgate.services import account_changes, account_views, accounts
from postgate.services.disconnection import resume_posts
from postgate.store.models import Account

bp = ApiBlueprint("accounts", __name__, tag="accounts")

Credentials = Annotated[
    Text | dict[str, Any] | None,
    ValidationFailed("credentials must be a string or an object", field="credentials"),
    Field(
        description="The platform's token, or an object of its credential fields; verified "
        "with the platform, stored encrypted, never shown again. Absent for a sandbox "
        "account: the local sandbox issues one."
    ),
]
TimeZone = Limited(column_length(Account.timezone))
Windows = Annotated[
    list[Text],
    ValidationFailed("windows must be a list of strings", field="windows"),
    Field(description='Posting windows in the account\'s time zone, e.g. "mon-fri 08:00-20:00".'),
]
Blackouts = Annotated[
    list[Text],
    ValidationFailed("blackout_dates must be a list of strings", field="blackout_dates"),
    Field(description="Days nothing publishes, as YYYY-MM-DD."),
]


class NewAccount(SteppedUp):
    name: Limited(column_length(Account.name))  # type: ignore[valid-type]
    platform: Limited(column_length(Account.platform))  # type: ignore[valid-type]
    base_url: Limited(column_length(Account.base_url)) | None = None  # type: ignore[valid-type]
    credentials: Credentials = None
    timezone: TimeZone | None = None  # type: ignore[valid-type]
    windows: Windows | None = None
    blackout_dates: Blackouts | None = None
    approvals: int | None = Field(default=None, description="Approvals each post needs: 1 to 5.")


class NewCredentials(SteppedUp):
    credentials: Credentials


class AccountChanges(SteppedUp):
    """Give any of the fields; those absent stay as they are."""

    timezone: TimeZone = None  # type: ignore[valid-type]
    windows: Windows = None  # type: ignore[assignment]
    blackout_dates: Blackouts = None  # type: ignore[assignment]
    approvals_required: int = Field(default=None, description="1 to 5.")  # type: ignore[assignment]


def _secret(credentials: str | dict[str, Any] | None) -> str | None:
    return json.dumps(credentials) if isinstance(credentials, dict) else credentials


def _change(change: Any) -> dict[str, Any]:
    """A pending account change as the API answers it: ``widens`` in English (the record)
    and ``widens_text``, the same reasons in the caller's language."""
    shown = account_changes.change_to_dict(change)
    shown["widens_text"] = [account_change_text(reason) for reason in shown["widens"]]
    return shown


@bp.operation("GET", "/accounts", answers={200: answers.AccountList})
def list_accounts() -> dict[str, Any]:
    """Every connected account, without its credentials."""
    with rt().store.session() as db:
        return {"accounts": account_views.accounts_as_shown(db, accounts.list_accounts(db))}


@bp.operation(
    "POST",
    "/accounts",
    body=NewAccount,
    roles=policy.ADMINISTER,
    step_up=True,
    answers={201: answers.Account},
    errors=(409,),
)
def add_account(body: NewAccount) -> tuple[dict[str, Any], int]:
    """Connect an account; its credentials are verified with the platform first."""
    with rt().store.transaction() as db:
        account = accounts.add_account(
            rt(),
            db,
            body.name,
            body.platform,
            base_url=body.base_url,
            secret=_secret(body.credentials),
            timezone="UTC" if body.timezone is None else body.timezone,
            windows=body.windows or [],
            blackout_dates=body.blackout_dates or [],
            approvals_required=1 if body.approvals is None else body.approvals,
            actor=current_user().username,
            source=source_address(),
        )
        return account_views.account_as_shown(db, account), 201


@bp.operation(
    "PUT",
    "/accounts/<name:name>/credentials",
    body=NewCredentials,
    roles=policy.ADMINISTER,
    step_up=True,
    answers={200: answers.Account},
)
def replace_credentials(name: str, body: NewCredentials) -> dict[str, Any]:
    """Replace an account's credentials (verified first); a compromised or disconnected
    account is active again, a frozen one stays frozen."""
    with rt().store.transaction() as db:
        account = accounts.replace_credentials(
            rt(),
            db,
            name,
            _secret(body.credentials),
            actor=current_user().username,
            source=source_address(),
        )
        answer = account_views.account_as_shown(db, account)
    resume_posts(rt(), answer["name"])  # a disconnected account's waiting posts go now
    return answer


@bp.operation(
    "PATCH",
    "/accounts/<name:name>",
    body=AccountChanges,
    roles=policy.ADMINISTER,
    step_up=True,
    answers={200: answers.Account, 202: answers.AccountChange},
)
def update_account(name: str, body: AccountChanges) -> Any:
    """Change an account's time zone, posting windows, blackout dates or approvals.

    Windows that allow a minute they did not, or a blackout date removed, loosen protection:
    they wait for a second person (another admin or the security lead) to approve them with
    2FA, and the answer is 202 with the pending change; the rest of the request applies."""
    changes = {key: getattr(body, key) for key in body.model_fields_set - {"otp"}}
    with rt().store.transaction() as db:
        done = account_changes.change_settings(
            rt(), db, name, changes, actor=current_user().username, source=source_address()
        )
        if done.pending is not None:
            return _change(done.pending), 202
        return account_views.account_as_shown(db, done.account)


@bp.operation(
    "GET",
    "/account-changes",
    roles=policy.RUN_CONSOLE,
    answers={200: answers.AccountChanges},
)
def list_account_changes() -> dict[str, Any]:
    """Changes of accounts' posting windows and blackout dates waiting for a second person."""
    with rt().store.session() as db:
        return {"changes": [_change(c) for c in account_changes.pending_changes(db)]}


@bp.operation(
    "POST",
    "/account-changes/<id:change_id>/approve",
    body=SteppedUp,
    roles=policy.RUN_CONSOLE,
    step_up=True,
    answers={200: answers.AccountChange},
    errors=(409,),
)
def approve_account_change(change_id: int, body: SteppedUp) -> dict[str, Any]:
    """Approve, as a second person (another admin or the security lead) with 2FA, a change
    someone else asked for: it applies."""
    with rt().store.transaction() as db:
        change = account_changes.approve(
            rt(), db, change_id, actor=current_user().username, source=source_address()
        )
        return _change(change)


@bp.operation(
    "POST",
    "/account-changes/<id:change_id>/deny",
    body=SteppedUp,
    roles=policy.RUN_CONSOLE,
    step_up=True,
    answers={200: answers.AccountChange},
    errors=(409,),
)
def deny_account_change(change_id: int, body: SteppedUp) -> dict[str, Any]:
    """Turn a pending change down (or, for the one who asked, withdraw it)."""
    with rt().store.transaction() as db:
        change = account_changes.deny(
            rt(), db, change_id, actor=current_user().username, source=source_address()
        )
        return _change(change)
