"""``/api/v1/rules`` and ``/api/v1/catalog``: the rules and the catalogue kept in the store.

Admins replace them (2FA); each change is a new version, in force at once when it only
tightens, else waiting for a second person (another admin or the security lead, with 2FA)
to approve it. Admins and the security lead read them, the versions with their diffs, and
"try" a proposed change against the last 30 days of posts without saving it: the whole
rules or catalogue (``POST /rules/try``), one rule's form (``POST /rules/forms/{id}/try``)
or catalogue rows (``POST /catalog/try``), each with the body its change takes, no code.
"""

from __future__ import annotations

import csv
import io
from typing import Annotated, Any

from flask import Response
from pydantic import Field

from gateway.access import current_user
from gateway.api.operations import ApiBlueprint
from gateway.api.types import Answer, Body, Query, SteppedUp, Text, one_of
from gateway.context import rt, source_address
from gateway.reasons import rules_text
from postgate import policy
from postgate.errors import ValidationFailed
from postgate.services import rule_edits, rule_forms, rule_trial, rule_versions
from rules.catalog import COLUMNS

bp = ApiBlueprint("rules", __name__, tag="rules")

MAX_TEXT = 2_000_000  # characters of rules or catalogue in one request
Note = Annotated[Text, Field(max_length=500, description="Why: shown in the history.")]
RulesText = Annotated[Text, Field(max_length=MAX_TEXT, description="The rules, as TOML.")]
CatalogText = Annotated[Text, Field(max_length=MAX_TEXT, description="The catalogue, as CSV.")]
Cell = Annotated[Text, Field(max_length=1000)]


class Product(Body):
    """One catalogue row; ``aliases`` separated by ``|`` or given as a list."""

    sku: Cell
    name: Cell
    aliases: Cell | list[Cell] = ""
    price: Cell
    currency: Cell
    promo_price: Cell = ""
    promo_start: Cell = ""
    promo_end: Cell = ""


class RulesChange(SteppedUp):
    rules: RulesText
    note: Note = ""


class CatalogChange(SteppedUp):
    """Give ``csv`` (the whole file) or ``products`` (row ``i`` is ``catalog.csv line i+2``
    in error messages)."""

    csv: CatalogText | None = None
    products: Annotated[list[Product], Field(max_length=100_000)] | None = None
    note: Note = ""


class RuleFormChange(SteppedUp):
    """One rule's form: ``severity`` and ``options`` by name (see ``GET /rules/forms`` for
    each kind's fields); an option not given is kept as it is, an empty one removed."""

    severity: one_of(("block", "flag")) | None = None  # type: ignore[valid-type]
    options: Annotated[dict[str, Any], Field(default_factory=dict, max_length=20)]
    note: Note = ""


class RuleFormTrial(Body):
    """A rule's form to try, as ``PUT /rules/forms/{id}`` takes it (``otp`` and ``note``
    are not needed: nothing is saved)."""

    severity: one_of(("block", "flag")) | None = None  # type: ignore[valid-type]
    options: Annotated[dict[str, Any], Field(default_factory=dict, max_length=20)]


class CatalogTrial(Body):
    """Catalogue rows to try, as ``PUT /catalog`` takes them: ``csv`` or ``products``."""

    csv: CatalogText | None = None
    products: Annotated[list[Product], Field(max_length=100_000)] | None = None


class TermsQuery(Query):
    q: Annotated[str, Field(max_length=200)] = ""


class Proposal(Body):
    """A change to try: either or both, as they would be saved."""

    rules: RulesText | None = None
    catalog: CatalogText | None = None


class CatalogFormat(Query):
    format: Annotated[
        one_of(("json", "csv")),  # type: ignore[valid-type]
        ValidationFailed("format is json or csv", field="format"),
    ] = "json"


class RulesVersion(Answer):
    """One version: ``status`` is ``applied``, ``pending`` (it loosens protection, as
    ``loosening`` says, and waits for a second person) or ``rejected``; ``in_force`` marks
    the one the checks use; ``diff`` is against ``base_id``, the version in force when it
    was proposed."""

    id: int
    version: str
    status: str
    in_force: bool
    author: str
    created_at: str
    base_id: int | None
    rollback_of: int | None
    loosening: list[str]
    loosening_text: list[str] = Field(
        description="The loosening reasons in the caller's language (Accept-Language)."
    )
    note: str
    decided_by: str | None
    decided_at: str | None
    applied_at: str | None
    diff: str
    rules: str | None = None
    catalog: str | None = None


class RulesVersionList(Answer):
    versions: list[RulesVersion]


class CatalogAnswer(Answer):
    version_id: int | None
    products: list[dict[str, Any]]
    csv: str


class TrialPost(Answer):
    id: int
    account: str
    author: str
    status: str
    text: str
    would_block: bool
    findings: list[dict[str, Any]]


class RuleField(Answer):
    name: str
    type: str
    choices: list[str]
    value: Any
    text: str
    low: float
    high: float


class RuleShown(Answer):
    id: str
    kind: str
    severity: str
    fields: list[RuleField]
    other: list[str] = Field(description="Options the form does not cover, kept as they are.")


class RuleForms(Answer):
    version_id: int | None
    rules: list[RuleShown]


class TermRule(Answer):
    id: str
    terms: list[str]
    total: int


class TermList(Answer):
    q: str
    rules: list[TermRule]


class Trial(Answer):
    version: str
    would_block: int
    would_flag: int
    posts: list[TrialPost]


def _version(db: Any, row: Any, *, content: bool = False) -> dict[str, Any]:
    """A version as the API answers it: ``loosening`` in English (the record, what clients
    match on) and ``loosening_text``, the same reasons in the caller's language."""
    shown = rule_versions.to_dict(db, row, content=content)
    shown["loosening_text"] = [rules_text(reason) for reason in shown["loosening"]]
    return shown


def _in_force() -> tuple[int | None, str, str | None]:
    with rt().store.session() as db:
        row = rule_versions.in_force(db)
        if row is not None:
            return row.id, row.rules, row.catalog
    return (None, *rule_versions.files(rt()))


def _new_version(**change: Any) -> tuple[dict[str, Any], int]:
    with rt().store.transaction() as db:
        row = rule_versions.propose(
            rt(), db, actor=current_user().username, source=source_address(), **change
        )
        return _version(db, row), 201


@bp.operation("GET", "/rules", roles=policy.RUN_CONSOLE, answers={200: RulesVersion})
def get_rules() -> dict[str, Any]:
    """The version in force, with its rules and catalogue (the files until one is stored)."""
    with rt().store.transaction() as db:
        return _version(db, rule_versions.current(rt(), db), content=True)


@bp.operation(
    "PUT",
    "/rules",
    body=RulesChange,
    roles=policy.ADMINISTER,
    step_up=True,
    answers={201: RulesVersion},
    errors=(409,),
)
def put_rules(body: RulesChange) -> tuple[dict[str, Any], int]:
    """Replace the rules: a new version, in force at once when it only tightens, else
    ``pending`` until another admin or the security lead approves it."""
    return _new_version(rules=body.rules, note=body.note)


@bp.operation("GET", "/rules/forms", roles=policy.RUN_CONSOLE, answers={200: RuleForms})
def get_rule_forms() -> dict[str, Any]:
    """The organisation's rules as forms: each rule's kind, severity and the fields of its
    kind with their values (``text`` as the web form's box shows them)."""
    version_id, rules, _ = _in_force()
    return {"version_id": version_id, "rules": rule_forms.rules_shown(rules)}


@bp.operation(
    "PUT",
    "/rules/forms/<name:rule_id>",
    body=RuleFormChange,
    roles=policy.ADMINISTER,
    step_up=True,
    answers={201: RulesVersion},
    errors=(409,),
)
def put_rule_form(rule_id: str, body: RuleFormChange) -> tuple[dict[str, Any], int]:
    """Change one rule through its form: a new version, judged like any change (widening
    it, e.g. a domain removed from ``block``, a limit raised, waits for a second person).
    A bad value is a 422 naming ``options.<field>`` (and the line, for a list)."""
    _, rules, _ = _in_force()
    edited = _form_edit(rules, rule_id, body.severity, body.options)
    if edited == rules:
        raise ValidationFailed("nothing changed", field="options")
    note = body.note or f"rule {rule_id!r} edited"
    return _new_version(rules=edited, note=note)


def _form_edit(rules: str, rule_id: str, severity: str | None, options: dict[str, Any]) -> str:
    """``rules`` with one rule's form applied; a bad value is a 422 naming ``options.<field>``."""
    try:
        return rule_forms.apply(rules, rule_id, severity, options)
    except ValidationFailed as exc:
        if exc.field not in ("rule", "severity"):
            exc.field = f"options.{exc.field}"
        raise


@bp.operation(
    "POST",
    "/rules/forms/<name:rule_id>/try",
    body=RuleFormTrial,
    roles=policy.RUN_CONSOLE,
    answers={200: Trial},
)
def try_rule_form(rule_id: str, body: RuleFormTrial) -> dict[str, Any]:
    """Run one rule's form, as ``PUT /rules/forms/{id}`` would save it, against the last 30
    days of posts; nothing saved. Bad values are refused as that ``PUT`` refuses them."""
    _, rules, _ = _in_force()
    return _trial(rules=_form_edit(rules, rule_id, body.severity, body.options))


def _trial(**proposal: str) -> dict[str, Any]:
    with rt().store.session() as db:
        return rule_trial.try_rules(rt(), db, **proposal)


@bp.operation(
    "GET", "/rules/terms", query=TermsQuery, roles=policy.RUN_CONSOLE, answers={200: TermList}
)
def get_terms(query: TermsQuery) -> dict[str, Any]:
    """The banned terms of each ``banned_terms`` rule, those containing ``q`` (any case)."""
    _, rules, _ = _in_force()
    wanted = query.q.strip().casefold()
    return {
        "q": query.q,
        "rules": [
            {
                "id": r["id"],
                "terms": [t for t in r["terms"] if wanted in t.casefold()],
                "total": len(r["terms"]),
            }
            for r in rule_edits.term_rules(rules)
        ],
    }


@bp.operation(
    "GET",
    "/catalog",
    query=CatalogFormat,
    roles=policy.RUN_CONSOLE,
    answers={200: {"application/json": CatalogAnswer, "text/csv": None}},
)
def get_catalog(query: CatalogFormat) -> Any:
    """The catalogue in force, as JSON rows or as the CSV file (``?format=csv``)."""
    version_id, _, catalog = _in_force()
    text = catalog or ",".join(COLUMNS) + "\n"
    if query.format == "csv":
        return Response(
            text,
            mimetype="text/csv",
            headers={"Content-Disposition": 'attachment; filename="catalog.csv"'},
        )
    rows = [dict(row) for row in csv.DictReader(io.StringIO(text))]
    return {"version_id": version_id, "products": rows, "csv": text}


@bp.operation(
    "PUT",
    "/catalog",
    body=CatalogChange,
    roles=policy.ADMINISTER,
    step_up=True,
    answers={201: RulesVersion},
    errors=(409,),
)
def put_catalog(body: CatalogChange) -> tuple[dict[str, Any], int]:
    """Replace the catalogue (CSV text or JSON rows): deleting a product or changing any of
    its cells waits for a second person; adding products takes effect at once."""
    return _new_version(catalog=_catalog_text(body.csv, body.products), note=body.note)


def _catalog_text(text: str | None, products: list[Product] | None) -> str:
    if (text is None) == (products is None):
        raise ValidationFailed("give either csv or products", field="csv")
    return text if text is not None else products_csv(products or [])


@bp.operation(
    "POST", "/catalog/try", body=CatalogTrial, roles=policy.RUN_CONSOLE, answers={200: Trial}
)
def try_catalog(body: CatalogTrial) -> dict[str, Any]:
    """Run a catalogue, as ``PUT /catalog`` would save it, against the last 30 days of
    posts; nothing saved. A bad row is refused as that ``PUT`` refuses it."""
    return _trial(catalog=_catalog_text(body.csv, body.products))


def products_csv(products: list[Product]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for product in products:
        row = product.model_dump()
        if isinstance(row["aliases"], list):
            row["aliases"] = "|".join(row["aliases"])
        writer.writerow([row[column] for column in COLUMNS])
    return out.getvalue()


@bp.operation("GET", "/rules/versions", roles=policy.RUN_CONSOLE, answers={200: RulesVersionList})
def list_versions() -> dict[str, Any]:
    """The latest 100 versions, newest first, each with its diff."""
    with rt().store.session() as db:
        return {"versions": [_version(db, v) for v in rule_versions.history(db)]}


@bp.operation(
    "GET", "/rules/versions/<id:version_id>", roles=policy.RUN_CONSOLE, answers={200: RulesVersion}
)
def get_version(version_id: int) -> dict[str, Any]:
    """One version with its rules and catalogue."""
    with rt().store.session() as db:
        return _version(db, rule_versions.find(db, version_id), content=True)


def _decide(how: Any, version_id: int) -> dict[str, Any]:
    with rt().store.transaction() as db:
        row = how(rt(), db, version_id, actor=current_user().username, source=source_address())
        return _version(db, row)


@bp.operation(
    "POST",
    "/rules/versions/<id:version_id>/approve",
    body=SteppedUp,
    roles=policy.RUN_CONSOLE,
    step_up=True,
    answers={200: RulesVersion},
    errors=(409,),
)
def approve_version(version_id: int, body: SteppedUp) -> dict[str, Any]:
    """A second person (not its author) puts a pending version in force. 409 when it is not
    pending, or when the rules changed since it was proposed."""
    return _decide(rule_versions.approve, version_id)


@bp.operation(
    "POST",
    "/rules/versions/<id:version_id>/reject",
    body=SteppedUp,
    roles=policy.RUN_CONSOLE,
    step_up=True,
    answers={200: RulesVersion},
    errors=(409,),
)
def reject_version(version_id: int, body: SteppedUp) -> dict[str, Any]:
    """Turn a pending version down (or, for its author, withdraw it)."""
    return _decide(rule_versions.reject, version_id)


@bp.operation(
    "POST",
    "/rules/versions/<id:version_id>/rollback",
    body=SteppedUp,
    roles=policy.ADMINISTER,
    step_up=True,
    answers={201: RulesVersion},
    errors=(409,),
)
def rollback_version(version_id: int, body: SteppedUp) -> tuple[dict[str, Any], int]:
    """A new version with this version's rules and catalogue, judged like any change (a
    rollback that loosens waits for a second person)."""
    return _decide(rule_versions.rollback, version_id), 201


@bp.operation("POST", "/rules/try", body=Proposal, roles=policy.RUN_CONSOLE, answers={200: Trial})
def try_rules(body: Proposal) -> dict[str, Any]:
    """Run a proposed change against the last 30 days of posts, nothing saved."""
    with rt().store.session() as db:
        return rule_trial.try_rules(rt(), db, rules=body.rules, catalog=body.catalog)
