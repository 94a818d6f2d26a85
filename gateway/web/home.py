"""``/``: where a person lands, by role (or the login page when signed out)."""

from __future__ import annotations

from flask import Blueprint, redirect, url_for
from flask.typing import ResponseReturnValue

from gateway.access import signed_in_user
from postgate.states import Role

bp = Blueprint("home", __name__)

# The first page for each role, most urgent first: a security lead lands on the console.
LANDING = (
    (Role.SECURITY, "console.index"),
    (Role.REVIEWER, "review.queue"),
    (Role.AUTHOR, "posts.list"),
    (Role.ADMIN, "admin.index"),
)


@bp.get("/", endpoint="index")
def home() -> ResponseReturnValue:
    user = signed_in_user()
    if user is None:
        return redirect(url_for("auth.login"))
    for role, endpoint in LANDING:
        if user.has_role(role):
            return redirect(url_for(endpoint))
    return redirect(url_for("auth.profile"))
