"""The rules and catalogue page's changes: banned terms added or removed one at a time, the
rules as a validated TOML editor with "Try it", the catalogue imported as CSV, and the
decisions on versions (approve or reject a pending one, roll back to an earlier one). Each
change is a new version through :mod:`postgate.services.rule_versions`, with 2FA."""

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
from gateway.forms import StepUpForm, flash_error, otp_field, show_error, split_lines, step_up
from gateway.web.admin import bp, rules_context
from postgate import policy
from postgate.errors import PostgateError
from postgate.services import rule_edits, rule_trial, rule_versions
from rules.catalog import COLUMNS


class TermForm(FlaskForm):
    rule = HiddenField(validators=[DataRequired()])
    term = StringField(_l("Term"), validators=[DataRequired(), Length(max=200)])
    otp = otp_field()


class RuleForm(FlaskForm):
    """One rule as a structured form: its severity and its list options, one value a line
    (the fields ``list-<option>`` are the rule's own, read from the request)."""

    rule = HiddenField(validators=[DataRequired()])
    severity = SelectField(_l("Severity"), choices=[("block", _l("block")), ("flag", _l("flag"))])
    otp = otp_field()


class RulesTextForm(FlaskForm):
    rules = TextAreaField(_l("Rules (TOML)"), validators=[DataRequired()])
    note = StringField(_l("Why"), validators=[Optional(), Length(max=500)])
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
    """One rule's structured form: its severity and list options, saved as a new version."""
    form = RuleForm(prefix="rule")
    if not form.validate_on_submit():
        for errors in form.errors.values():
            flash(" ".join(str(e) for e in errors), "error")
        return redirect(url_for("admin.rules") + "#rules")
    rules = _current_rules()
    rule_id = form.rule.data
    shown = next((r for r in rule_edits.org_rules(rules) if r["id"] == rule_id), None)
    try:
        if shown is None:
            rule_edits.set_severity(rules, rule_id, "block")  # names the unknown rule
            raise AssertionError("unreachable")
        edited = rules
        if form.severity.data != shown["severity"]:
            edited = rule_edits.set_severity(edited, rule_id, form.severity.data)
        for key, values in shown["lists"].items():
            if f"rule-list-{key}" not in request.form:
                continue  # not on the form: unchanged
            typed = split_lines(request.form.get(f"rule-list-{key}"))
            if typed != values:
                edited = rule_edits.set_list(edited, rule_id, key, typed)
    except PostgateError as exc:
        flash_error(exc)
        return redirect(url_for("admin.rules") + "#rules")
    if edited == rules:
        flash(_("Nothing changed."))
    else:
        _propose(form, inline=False, rules=edited, note=f"rule {rule_id!r} edited")
    return redirect(url_for("admin.rules") + "#rules")


@bp.post("/admin/rules/text", endpoint="save_rules")
@roles_required(policy.ADMINISTER)
def save_rules() -> ResponseReturnValue:
    """Save the TOML, or with the "Try it" button run it against the last 30 days."""
    form = RulesTextForm(prefix="text")
    if not form.validate_on_submit():
        return _back(form, text_form=form)
    text = form.rules.data.replace("\r\n", "\n")
    if "try" in request.form:
        try:
            with rt().store.session() as db:
                trial = rule_trial.try_rules(rt(), db, rules=text)
        except PostgateError as exc:
            show_error(form, exc)
            trial = None
        return render_template("admin/rules.html", **rules_context(text_form=form, trial=trial))
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
    if _propose(form, catalog=text.replace("\r\n", "\n"), note="catalogue import"):
        return redirect(url_for("admin.rules"))
    return _back(form, catalog_form=form)


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
