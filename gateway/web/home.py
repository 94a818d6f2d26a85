"""``/``: where a person lands, by role (or the login page when signed out)."""

from __future__ import annotations

from flask import Blueprint, redirect, url_for
from flask.typing import ResponseReturnValue

from gateway.access import signed_in_user
from postgate.states import Role
from postgate.store.models import User

bp = Blueprint("home", __name__)

# The first page for each role, most urgent first: a security lead lands on the console.
# The same page is where signing in leads (unless a safe ``next`` was given).
LANDING = (
    (Role.SECURITY, "console.index"),
    (Role.REVIEWER, "review.queue"),
    (Role.AUTHOR, "posts.list"),
    (Role.ADMIN, "accounts.list"),
)


def landing_url(user: User) -> str:
    """Where ``user``'s work is: the page of their most urgent role, else their profile."""
    for role, endpoint in LANDING:
        if user.has_role(role):
            return url_for(endpoint)
    return url_for("auth.profile")


@bp.get("/", endpoint="index")
def home() -> ResponseReturnValue:
    user = signed_in_user()
    if user is None:
        return redirect(url_for("auth.login"))
    return redirect(landing_url(user))
