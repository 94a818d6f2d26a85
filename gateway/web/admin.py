"""The admin's pages: an overview, and the content rules with the catalogue they check prices
against. Accounts are in ``accounts.py``, users and roles in ``users.py``.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template
from flask.typing import ResponseReturnValue

from gateway.access import roles_required
from gateway.context import rt
from gateway.i18n import error_text
from postgate import policy
from postgate.errors import PostgateError
from postgate.services import freezes, users
from postgate.services.accounts import account_to_dict, list_accounts
from postgate.services.checking import current_ruleset
from rules import RuleConfigError
from rules.catalog import load_catalog

bp = Blueprint("admin", __name__)
MAX_SHOWN = 200_000  # characters of the rules file shown on the page


def rules_version() -> tuple[str | None, str | None]:
    """The version of the rules in force, or the configuration error that stops them."""
    try:
        return current_ruleset(rt()).version, None
    except PostgateError as exc:
        return None, error_text(exc)


@bp.get("/admin", endpoint="index")
@roles_required(policy.ADMINISTER)
def admin_home() -> ResponseReturnValue:
    with rt().store.session() as db:
        found = [account_to_dict(a) for a in list_accounts(db)]
        people = [users.user_to_dict(u) for u in users.list_users(db)]
        frozen = len(freezes.active_freezes(db))
    version, problem = rules_version()
    return render_template(
        "admin/home.html",
        accounts=found,
        users=people,
        freezes=frozen,
        version=version,
        problem=problem,
    )


def _catalog() -> tuple[list[Any], str | None]:
    path = rt().settings.catalog_path
    if path is None:
        return [], None
    try:
        return list(load_catalog(path).products), None
    except RuleConfigError as exc:
        return [], str(exc)


def _rules_text() -> str:
    try:
        return rt().settings.rules_path.read_text(encoding="utf-8")[:MAX_SHOWN]
    except (OSError, UnicodeDecodeError) as exc:
        return f"# cannot read {rt().settings.rules_path}: {exc}"


@bp.get("/admin/rules", endpoint="rules")
@roles_required(policy.ADMINISTER)
def rules_page() -> ResponseReturnValue:
    version, problem = rules_version()
    products, catalog_problem = _catalog()
    return render_template(
        "admin/rules.html",
        version=version,
        problem=problem,
        rules_path=rt().settings.rules_path,
        rules_text=_rules_text(),
        catalog_path=rt().settings.catalog_path,
        products=products,
        catalog_problem=catalog_problem,
    )
