"""Warn that an account cannot publish until an administrator acts on it.

A ``disconnected`` account (the platform refused or ended its credentials) or a
``compromised`` one takes posts as any other: they are reviewed and scheduled, then wait at
publish time until it has new credentials. Without a word, an author learns it hours later
from a post that did not go out; so the compose page (its live check and its submission) and
``POST /posts`` say it at once, as they say a posting quota would be exceeded.
"""

from __future__ import annotations

from typing import Any

from postgate.states import AccountStatus
from postgate.store.models import Account
from rules.base import Template

TEMPLATES = {
    AccountStatus.DISCONNECTED: Template(
        "{account} is disconnected (the platform refused or ended its credentials): its posts "
        "wait until an administrator connects it again."
    ),
    AccountStatus.COMPROMISED: Template(
        "{account} is marked compromised: its posts wait until an administrator gives it "
        "new credentials."
    ),
}


def account_warning(account: Account) -> dict[str, Any] | None:
    """The warning for a post on ``account``, or None when the account may publish."""
    template = TEMPLATES.get(AccountStatus(account.status))
    if template is None:
        return None
    params = {"account": account.name}
    return {
        "rule": "account_state",
        "template": template,
        "params": params,
        "message": template.format(**params),
    }
