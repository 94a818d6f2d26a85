"""Each person's time zone: chosen on their profile (``/me/timezone``) and at enrolment.

The select lists every IANA zone; the browser's own zone is preselected by ``timezone.js``
when the person has not chosen one yet. An empty choice means the organisation's zone.
"""

from __future__ import annotations

from functools import cache
from zoneinfo import available_timezones

from flask import Blueprint, flash, redirect, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField

from gateway.access import caller, login_required
from gateway.context import rt, source_address
from gateway.forms import flash_error
from postgate.errors import PostgateError
from postgate.services.user_zone import set_timezone

bp = Blueprint("zone", __name__)


@cache
def zone_names() -> tuple[str, ...]:
    """Every IANA zone with a place in its name (``Europe/Paris``), and UTC."""
    places = sorted(z for z in available_timezones() if "/" in z and not z.startswith("Etc/"))
    return (*places, "UTC")


class ZoneForm(FlaskForm):
    timezone = SelectField(
        _l("Time zone"),
        description=_l("Times are shown on this clock, and times you type are read on it."),
        validate_choice=False,  # the service names an unknown zone
    )


def zone_form(current: str | None, organisation: str, *, bound: bool = False) -> ZoneForm:
    """The select, with ``current`` (None: the organisation's) chosen."""
    form = ZoneForm() if bound else ZoneForm(formdata=None, data={"timezone": current or ""})
    default = _("The organisation's (%(tz)s)", tz=organisation)
    form.timezone.choices = [("", default)] + [(z, z) for z in zone_names()]
    return form


@bp.post("/me/timezone", endpoint="set")
@login_required
def set_zone() -> ResponseReturnValue:
    form = zone_form(None, rt().settings.timezone, bound=True)
    if form.validate_on_submit():
        try:
            with rt().store.transaction() as db:
                shown = set_timezone(
                    rt(), db, caller(db), form.timezone.data, source=source_address()
                )
        except PostgateError as exc:
            flash_error(exc)
        else:
            flash(_("Times are now shown on the clock of %(tz)s.", tz=shown), "info")
    return redirect(url_for("auth.profile") + "#my-timezone")
