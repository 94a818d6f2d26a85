"""The rules and catalogue page's changes: banned terms added or removed one at a time, each
rule as a form of its kind, the rules as a validated TOML editor, the catalogue's rows and
its CSV import, and the decisions on versions (approve or reject a pending one, roll back to
an earlier one). Each change is a new version through :mod:`postgate.services.rule_versions`,
with 2FA; each change also has "Try it" (a ``try`` button): the same change run against the
last 30 days of posts by :mod:`postgate.services.rule_trial`, nothing saved, no code needed."""

from __future__ import annotations

from typing import Any

from flask import Response, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import HiddenField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from gateway.access import current_user, roles_required
from gateway.context import rt, source_address
from gateway.forms import StepUpForm, flash_error, otp_field, show_error, step_up
from gateway.i18n import error_text
from gateway.web.admin import bp, rules_context
from postgate import policy
from postgate.errors import PostgateError
from postgate.services import catalog_rows, rule_edits, rule_forms, rule_trial, rule_versions
from rules.catalog import COLUMNS

KIND_NAMES = {
    "banned_terms": _l("banned terms"),
    "pattern": _l("pattern"),
    "links": _l("links"),
    "prices": _l("prices"),
    "personal_data": _l("personal data"),
    "platform_limits": _l("platform limits"),
    "alt_text": _l("image descriptions"),
    "posting_window": _l("posting windows and blackout dates"),
    "freeze": _l("freeze"),
    "duplicates": _l("duplicates"),
}
FIELD_NAMES = {
    "terms": _l("Banned terms, one a line"),
    "pattern": _l("Regular expression"),
    "message": _l("Message shown to the author"),
    "ignore_case": _l("Ignore case"),
    "allow": _l("Allowed domains, one a line"),
    "block": _l("Blocked domains, one a line"),
    "unlisted_severity": _l("Severity for a domain on neither list"),
    "distance": _l("Distance between product and price (characters)"),
    "types": _l("Personal data to catch"),
    "allow_email_domains": _l("E-mail domains allowed, one a line"),
    "max_length": _l("Maximum length per platform"),
    "max_media": _l("Maximum images per platform"),
    "blackout_dates": _l("Blackout dates, one a line"),
    "windows": _l("Posting windows, one a line (for accounts without their own)"),
    "threshold": _l("Similarity from which a post is a duplicate (0 to 1)"),
}
FIELD_HELP = {
    "domains": _l("A domain includes its subdomains: acme.fr allows shop.acme.fr."),
    "dates": _l("One date a line, like 2026-12-25."),
    "windows": _l(
        "Days and hours in the account's time zone, like mon-fri 08:00-20:00; empty: any time."
    ),
    "limits": _l("One platform a line, like x = 280; empty: the platform's own limits."),
}
CHOICE_NAMES = {
    "card": _l("card numbers"),
    "iban": _l("IBANs"),
    "email": _l("e-mail addresses"),
    "phone": _l("phone numbers"),
}


class TermForm(FlaskForm):
    rule = HiddenField(validators=[DataRequired()])
    term = StringField(_l("Term"), validators=[DataRequired(), Length(max=200)])
    otp = otp_field()


class RuleForm(FlaskForm):
    """One rule as a structured form: its severity here, the fields of its kind
    (``rule-f-<option>``) read from the request by :func:`_typed`."""

    rule = HiddenField(validators=[DataRequired()])
    severity = SelectField(_l("Severity"), choices=[("block", _l("block")), ("flag", _l("flag"))])
    otp = otp_field()


class RulesTextForm(FlaskForm):
    rules = TextAreaField(_l("Rules (TOML)"), validators=[DataRequired()])
    note = StringField(_l("Why"), validators=[Optional(), Length(max=500)])
    otp = otp_field()


class ProductForm(FlaskForm):
    """One catalogue row, added (``original`` empty) or changed; ``delete`` removes it."""

    original = HiddenField()
    sku = StringField(_l("SKU"), validators=[Length(max=200)])
    name = StringField(_l("Product"), validators=[Length(max=500)])
    aliases = StringField(_l("Also called (separated by |)"), validators=[Length(max=500)])
    price = StringField(_l("Price"), validators=[Length(max=50)])
    currency = StringField(_l("Currency"), validators=[Length(max=10)])
    promo_price = StringField(_l("Promotion price"), validators=[Length(max=50)])
    promo_start = StringField(_l("Promotion from"), validators=[Length(max=20)])
    promo_end = StringField(_l("Promotion until"), validators=[Length(max=20)])
    otp = otp_field()


class CatalogForm(FlaskForm):
    csv = TextAreaField(_l("Catalogue (CSV)"), validators=[Optional()])
    file = FileField(_l("or a CSV file"))
    otp = otp_field()


def _propose(form: FlaskForm, *, inline: bool = True, **change: Any) -> bool:
    """Step up and save a new version; flashes what happened; False when refused (the error
    next to its field when ``inline``, else at the top of the next page)."""
    try:
        step_up(form)
        with rt().store.transaction() as db:
            row = rule_versions.propose(
                rt(), db, actor=current_user().username, source=source_address(), **change
            )
            pending, version_id = row.status == rule_versions.PENDING, row.id
    except PostgateError as exc:
        if inline:
            show_error(form, exc)
        else:
            flash_error(exc)
        return False
    if pending:
        flash(
            _(
                "Version %(id)s loosens protection: it takes effect once another admin or the "
                "security lead approves it.",
                id=version_id,
            )
        )
    else:
        flash(_("Version %(id)s is in force.", id=version_id))
    return True


def _trying() -> bool:
    """The "Try it" button was pressed rather than "Save"."""
    return "try" in request.form


def _trial(*, rules: str | None = None, catalog: str | None = None) -> dict[str, Any]:
    """What the change would have done to the last 30 days of posts; nothing saved. Raises
    ValidationFailed (naming the line and key) when the change does not make a rule set."""
    with rt().store.session() as db:
        return rule_trial.try_rules(rt(), db, rules=rules, catalog=catalog)


def _back(form: FlaskForm, **extra: Any) -> ResponseReturnValue:
    if form.errors or extra:
        return render_template("admin/rules.html", **rules_context(**extra)), 422
    return redirect(url_for("admin.rules"))


def _current_rules() -> str:
    with rt().store.transaction() as db:
        return rule_versions.current(rt(), db).rules


def _terms_of(rules: str, rule_id: str) -> list[str]:
    return next((r["terms"] for r in rule_edits.term_rules(rules) if r["id"] == rule_id), [])


def _change_terms(form: TermForm, adding: bool) -> ResponseReturnValue:
    if not form.validate_on_submit():
        for errors in form.errors.values():
            flash(" ".join(str(e) for e in errors), "error")
        return redirect(url_for("admin.rules"))
    term, rule_id = form.term.data.strip(), form.rule.data
    rules = _current_rules()
    terms = _terms_of(rules, rule_id)
    if adding and term in terms:
        flash(_("This term is already banned."))
        return redirect(url_for("admin.rules"))
    wanted = [*terms, term] if adding else [t for t in terms if t != term]
    try:
        edited = rule_edits.set_terms(rules, rule_id, wanted)
        if _trying():
            trial = _trial(rules=edited)
            page = rules_context(trial=trial, trial_at=f"terms:{rule_id}")
            if adding:
                page["add_form"] = form
            return render_template("admin/rules.html", **page)
    except PostgateError as exc:
        flash_error(exc)
    else:
        verb = "add" if adding else "remove"
        _propose(form, inline=False, rules=edited, note=f"{verb} term {term!r}")
    return redirect(url_for("admin.rules") + "#terms")


@bp.post("/admin/rules/terms/add", endpoint="add_term")
@roles_required(policy.ADMINISTER)
def add_term() -> ResponseReturnValue:
    return _change_terms(TermForm(prefix="add"), adding=True)


@bp.post("/admin/rules/terms/remove", endpoint="remove_term")
@roles_required(policy.ADMINISTER)
def remove_term() -> ResponseReturnValue:
    return _change_terms(TermForm(prefix="remove"), adding=False)


@bp.post("/admin/rules/rule", endpoint="save_rule")
@roles_required(policy.ADMINISTER)
def save_rule() -> ResponseReturnValue:
    """One rule's form, with the fields of its kind (:mod:`postgate.services.rule_forms`):
    saved as a new version; a bad value is shown next to its field, naming it (and the
    line, for a list), and nothing is saved."""
    form = RuleForm(prefix="rule")
    if not form.validate_on_submit():
        for errors in form.errors.values():
            flash(" ".join(str(e) for e in errors), "error")
        return redirect(url_for("admin.rules") + "#rules")
    rules = _current_rules()
    rule_id = form.rule.data
    shown = next((r for r in rule_forms.rules_shown(rules) if r["id"] == rule_id), None)
    given = _typed(shown["kind"]) if shown else {}
    try:
        edited = rule_forms.apply(rules, rule_id, form.severity.data, given)
        if _trying():
            page = rules_context(trial=_trial(rules=edited), trial_at=f"rule:{rule_id}")
            page["typed"] = {"rule": rule_id, "given": given}
            return render_template("admin/rules.html", **page)
    except PostgateError as exc:
        return _rule_error(rule_id, exc, given)
    if edited == rules:
        flash(_("Nothing changed."))
        return redirect(url_for("admin.rules") + f"#rule-{rule_id}")
    if not _propose(form, inline=False, rules=edited, note=f"rule {rule_id!r} edited"):
        return redirect(url_for("admin.rules") + f"#rule-{rule_id}")
    return redirect(url_for("admin.rules") + "#" + ("pending" if _has_pending() else "latest"))


def _typed(kind: str) -> dict[str, Any]:
    """The values of a kind's fields as the form sent them (a field left off the form is
    not changed; a box or checkbox group sent empty clears it)."""
    given: dict[str, Any] = {}
    for f in rule_forms.fields_of(kind):
        name = f"rule-f-{f.name}"
        if f.type == "choices":
            if f"rule-has-{f.name}" in request.form:
                given[f.name] = request.form.getlist(name)
        elif f.type == "bool":
            if f"rule-has-{f.name}" in request.form:
                given[f.name] = name in request.form
        elif f.type == "windows" and f"rule-has-{f.name}" in request.form:
            rows = zip(
                request.form.getlist("rule-w-days"),
                request.form.getlist("rule-w-start"),
                request.form.getlist("rule-w-end"),
                strict=False,
            )
            given[f.name] = [{"days": d, "start": a, "end": b} for d, a, b in rows]
        elif name in request.form:
            given[f.name] = request.form.get(name, "")
    return given


def _rule_error(rule_id: str, exc: PostgateError, given: dict[str, Any]) -> ResponseReturnValue:
    """The rules page again, the rule's form open with the error next to its field and the
    values as typed."""
    page = rules_context(rule_error={"rule": rule_id, "field": exc.field, "text": error_text(exc)})
    page["typed"] = {"rule": rule_id, "given": given}
    return render_template("admin/rules.html", **page), exc.status


def _has_pending() -> bool:
    with rt().store.session() as db:
        return any(v.status == rule_versions.PENDING for v in rule_versions.history(db, 5))


@bp.post("/admin/rules/text", endpoint="save_rules")
@roles_required(policy.ADMINISTER)
def save_rules() -> ResponseReturnValue:
    """Save the TOML, or with the "Try it" button run it against the last 30 days."""
    form = RulesTextForm(prefix="text")
    if not form.validate_on_submit():
        return _back(form, text_form=form)
    text = form.rules.data.replace("\r\n", "\n")
    if _trying():
        try:
            trial = _trial(rules=text)
        except PostgateError as exc:
            show_error(form, exc)
            trial = None
        page = rules_context(text_form=form, trial=trial, trial_at="text")
        return render_template("admin/rules.html", **page), 422 if trial is None else 200
    if _propose(form, rules=text, note=form.note.data or ""):
        return redirect(url_for("admin.rules"))
    return _back(form, text_form=form)


@bp.post("/admin/rules/catalog", endpoint="import_catalog")
@roles_required(policy.ADMINISTER)
def import_catalog() -> ResponseReturnValue:
    form = CatalogForm(prefix="catalog")
    if not form.validate_on_submit():
        return _back(form, catalog_form=form)
    text = form.csv.data or ""
    if form.file.data:
        raw = form.file.data.read(2_000_000)
        text = raw.decode("utf-8-sig", errors="replace")
    if not text.strip():
        form.csv.errors = [_("Paste the CSV or choose a file.")]
        return _back(form, catalog_form=form)
    text = text.replace("\r\n", "\n")
    if _trying():
        try:
            trial = _trial(catalog=text)
        except PostgateError as exc:
            show_error(form, exc, {"catalog": "csv"})
            return _back(form, catalog_form=form)
        if not form.csv.data:
            form.csv.data = text  # a file is not sent again: the box holds what was tried
        page = rules_context(catalog_form=form, trial=trial, trial_at="catalog")
        return render_template("admin/rules.html", **page)
    if _propose(form, catalog=text, note="catalogue import"):
        return redirect(url_for("admin.rules"))
    return _back(form, catalog_form=form)


@bp.post("/admin/rules/catalog/product", endpoint="save_product")
@roles_required(policy.ADMINISTER)
def save_product() -> ResponseReturnValue:
    """One row of the catalogue table added, changed or (``delete``) deleted: a new version
    (changing or deleting a product waits for a second person). A bad cell is shown next to
    its field; nothing is saved."""
    form = ProductForm(prefix="product")
    if not form.validate_on_submit():
        return _product_back(form)
    with rt().store.transaction() as db:
        catalog = rule_versions.current(rt(), db).catalog
    original = (form.original.data or "").strip()
    deleting = "delete" in request.form
    product = None if deleting else {c: getattr(form, c).data for c in COLUMNS}
    try:
        edited = catalog_rows.edit(catalog, original, product)
    except PostgateError as exc:
        show_error(form, exc)
        return _product_back(form)
    if _trying():
        return _try_product(form, original, edited)
    if edited == catalog_rows.to_csv(catalog_rows.rows(catalog)):
        flash(_("Nothing changed."))
        return redirect(url_for("admin.rules") + "#catalog")
    sku = original or (product or {}).get("sku", "")
    verb = "delete" if deleting else ("edit" if original else "add")
    if _propose(form, catalog=edited, note=f"{verb} product {sku!r}"):
        return redirect(url_for("admin.rules") + "#catalog")
    return _product_back(form)


def _try_product(form: ProductForm, original: str, edited: str) -> ResponseReturnValue:
    try:
        trial = _trial(catalog=edited)
    except PostgateError as exc:
        flash_error(exc)
        return _product_back(form)
    page = rules_context(product_form=form, product_open=original, trial=trial)
    page["trial_at"] = f"product:{original or 'new'}"
    return render_template("admin/rules.html", **page)


def _product_back(form: ProductForm) -> ResponseReturnValue:
    page = rules_context(product_form=form, product_open=(form.original.data or "").strip())
    return render_template("admin/rules.html", **page), 422


@bp.get("/admin/rules/catalog.csv", endpoint="export_catalog")
@roles_required(policy.RUN_CONSOLE)
def export_catalog() -> ResponseReturnValue:
    with rt().store.transaction() as db:
        text = rule_versions.current(rt(), db).catalog or ",".join(COLUMNS) + "\n"
    return Response(
        text,
        mimetype="text/csv",
        headers={"Content-Disposition": 'attachment; filename="catalog.csv"'},
    )


def _decide(how: Any, version_id: int, done: str) -> ResponseReturnValue:
    form = StepUpForm(prefix=f"v{version_id}")
    if form.validate_on_submit():
        try:
            step_up(form)
            with rt().store.transaction() as db:
                how(rt(), db, version_id, actor=current_user().username, source=source_address())
        except PostgateError as exc:
            flash_error(exc)
        else:
            flash(done)
    return redirect(_rules_page() + "#versions")


def _rules_page() -> str:
    """The rules page the caller may see: the admin's, or the security lead's."""
    admin = current_user().has_role(*policy.ADMINISTER)
    return url_for("admin.rules" if admin else "admin.security_rules")


@bp.get("/security/rules", endpoint="security_rules")
@roles_required(policy.RUN_CONSOLE)
def security_rules() -> ResponseReturnValue:
    """The rules page for the security lead: the changes waiting for approval, the versions
    and the terms and catalogue in force, read only (only admins change them)."""
    return render_template("admin/rules.html", **rules_context(section="security"))


@bp.post("/admin/rules/versions/<int:version_id>/approve", endpoint="approve_version")
@roles_required(policy.RUN_CONSOLE)
def approve_version(version_id: int) -> ResponseReturnValue:
    return _decide(rule_versions.approve, version_id, _("Approved: the version is in force."))


@bp.post("/admin/rules/versions/<int:version_id>/reject", endpoint="reject_version")
@roles_required(policy.RUN_CONSOLE)
def reject_version(version_id: int) -> ResponseReturnValue:
    return _decide(rule_versions.reject, version_id, _("Rejected."))


@bp.post("/admin/rules/versions/<int:version_id>/rollback", endpoint="rollback_version")
@roles_required(policy.ADMINISTER)
def rollback_version(version_id: int) -> ResponseReturnValue:
    return _decide(rule_versions.rollback, version_id, _("Rolled back: a new version was made."))
