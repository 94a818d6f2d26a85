"""How the web app knows who is there.

The Flask session cookie (signed, HttpOnly, SameSite=Lax, Secure over HTTPS) holds only the
value of a server-side session issued by :func:`postgate.services.sessions.login`. Every
request looks that session up in the store again, exactly as the API does with bearer
tokens, so logging out, revoking a token or revoking the user bites on the next request.
Views read the result through ``gateway.access``.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, g, request, session

from gateway.context import rt
from postgate import policy
from postgate.errors import NotAuthenticated
from postgate.services import sessions

SESSION_KEY = "sid"
_NOT_WEB = ("/api/", "/static/", "/healthz")


def init_app(app: Flask) -> None:
    app.before_request(load_user)
    app.context_processor(template_context)


def load_user() -> None:
    """Put the signed-in user in ``g.user`` (None when nobody, or when the session ended)."""
    if request.path.startswith(_NOT_WEB):
        return
    g.user, g.token = None, None
    value = session.get(SESSION_KEY)
    if not value:
        return
    try:
        with rt().store.transaction() as db:
            user, token = sessions.authenticate(db, value)
            if token.kind != "session":
                raise NotAuthenticated("not a web session")
            sessions.touch(db, token)
            db.expunge_all()
    except NotAuthenticated:
        session.pop(SESSION_KEY, None)
        return
    g.user, g.token = user, token


def template_context() -> dict[str, Any]:
    """Who is signed in, and ``may(policy.GROUP)`` for what the page offers them."""
    user = g.get("user")
    return {
        "current_user": user,
        "policy": policy,
        "may": lambda group: user is not None and user.has_role(*group),
    }


def start_session(value: str) -> None:
    """Forget whatever the cookie held (fixation) and keep only the new session value."""
    session.clear()
    session[SESSION_KEY] = value


def end_session() -> None:
    session.clear()
