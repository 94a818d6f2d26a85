"""The admin's pages: an overview, and the content rules with the catalogue they check prices
against. Accounts are in ``accounts.py``, users and roles in ``users.py``.
"""

from __future__ import annotations

import csv
import io
from typing import Any

from flask import Blueprint, render_template, request
from flask.typing import ResponseReturnValue

from gateway.access import roles_required
from gateway.context import rt
from gateway.forms import StepUpForm, step_up_fresh
from gateway.i18n import error_text
from postgate import policy
from postgate.errors import PostgateError
from postgate.services import freezes, rule_edits, rule_forms, rule_versions, users
from postgate.services.account_views import accounts_as_shown
from postgate.services.accounts import list_accounts
from postgate.services.checking import current_ruleset

bp = Blueprint("admin", __name__)


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
        found = accounts_as_shown(db, list_accounts(db))
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


def _window_rows(shown: Any) -> list[dict[str, str]]:
    """The rows of the windows field: from the stored windows (text lines) or as typed."""
    if isinstance(shown, list):
        return [r if isinstance(r, dict) else rule_forms.window_rows([r])[0] for r in shown]
    return rule_forms.window_rows([line for line in str(shown or "").splitlines() if line])


def rules_context(**extra: Any) -> dict[str, Any]:
    """What the rules page shows: the version in force with its terms and catalogue, pending
    and past versions, and its forms (``extra`` replaces any, e.g. a form with errors)."""
    from gateway.web import rules_admin as forms

    version, problem = rules_version()
    query = (request.args.get("q") or "").strip()
    with rt().store.transaction() as db:
        row = rule_versions.current(rt(), db)
        history = [rule_versions.to_dict(db, v) for v in rule_versions.history(db)]
        rules_text, catalog_text = row.rules, row.catalog
    term_rules = rule_edits.term_rules(rules_text)
    for rule in term_rules:
        rule["shown"] = [t for t in rule["terms"] if query.casefold() in t.casefold()]
    products = list(csv.DictReader(io.StringIO(catalog_text or "")))
    context: dict[str, Any] = {
        "version": version,
        "problem": problem,
        "query": query,
        "term_rules": term_rules,
        "products": products,
        "pending": [v for v in history if v["status"] == rule_versions.PENDING],
        "history": history,
        "fresh": step_up_fresh(),
        "add_form": forms.TermForm(formdata=None, prefix="add"),
        "remove_form": forms.TermForm(formdata=None, prefix="remove"),
        "text_form": forms.RulesTextForm(formdata=None, prefix="text", data={"rules": rules_text}),
        "catalog_form": forms.CatalogForm(formdata=None, prefix="catalog"),
        "decision": lambda version_id: StepUpForm(formdata=None, prefix=f"v{version_id}"),
        "org_rules": rule_forms.rules_shown(rules_text),
        "rule_error": None,
        "product_form": None,
        "typed_windows": _window_rows,
        "product_open": None,
        "new_product": lambda data=None: forms.ProductForm(
            formdata=None, prefix="product", data=data or {}
        ),
        "kind_names": forms.KIND_NAMES,
        "field_names": forms.FIELD_NAMES,
        "field_help": forms.FIELD_HELP,
        "choice_names": forms.CHOICE_NAMES,
        "typed": None,
        "rule_form": lambda rule: forms.RuleForm(
            formdata=None, prefix="rule", data={"rule": rule["id"], "severity": rule["severity"]}
        ),
        "trial": None,
        "trial_at": None,
        "section": "admin",
    }
    return context | extra


@bp.get("/admin/rules", endpoint="rules")
@roles_required(policy.ADMINISTER)
def rules_page() -> ResponseReturnValue:
    return render_template("admin/rules.html", **rules_context())
