"""Who is calling, and whether they may: one answer for the pages and the API alike.

The API (bearer token, ``gateway.api``) and the pages (session cookie, ``gateway.web.session``)
each look the caller up again on every request and put them in ``g.user`` and ``g.token``, so
a logout or a revocation bites on the next request. Views ask here: :func:`caller` for the
user as stored now, :func:`login_required` and :func:`roles_required` (with a role group of
:mod:`postgate.policy`) before they run. A refusal is raised, never answered here:
``gateway.errors`` turns it into the API's JSON error, or on a page into the login page or the
"not allowed" page.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import g
from sqlalchemy.orm import Session

from postgate.errors import Forbidden, NotAuthenticated
from postgate.policy import RoleGroup
from postgate.store.models import AuthToken, User

F = TypeVar("F", bound=Callable[..., Any])


class RoleRequired(Forbidden):
    """The caller holds none of the roles of the group a view needs."""


def signed_in_user() -> User | None:
    """The caller of this request as it began, or None when nobody is signed in."""
    return g.get("user")


def current_user() -> User:
    """The caller of this request as it began; :class:`NotAuthenticated` when nobody is."""
    user = signed_in_user()
    if user is None:
        raise NotAuthenticated("log in first")
    return user


def current_token() -> AuthToken | None:
    """The session or API token this request came with."""
    return g.get("token")


def caller(db: Session) -> User:
    """The caller as stored now, in ``db``.

    Never ``db.merge(current_user())``: that would write the request's stale copy back and
    undo a revocation or a TOTP step accepted since the request began.
    """
    user = db.get(User, current_user().id)
    if user is None or user.disabled:
        raise NotAuthenticated("the token is unknown, expired or revoked")
    return user


def login_required(view: F) -> F:
    """Views for anyone signed in; a page sends the others to the login page."""

    @wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        current_user()
        return view(*args, **kwargs)

    return wrapped  # type: ignore[return-value]


def roles_required(group: RoleGroup) -> Callable[[F], F]:
    """Views for one role group of :mod:`postgate.policy`, checked on every call: signed in
    first, then 403 unless the caller holds one of the group's roles."""

    def decorate(view: F) -> F:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            check_roles(group)
            return view(*args, **kwargs)

        return wrapped  # type: ignore[return-value]

    return decorate


def check_roles(group: RoleGroup) -> None:
    """:class:`NotAuthenticated` unless someone is signed in, then :class:`RoleRequired`
    unless they hold one of the roles of ``group``."""
    if not current_user().has_role(*group):
        raise RoleRequired("this needs the role {roles}", roles=" or ".join(group))
