"""How the web app knows who is there.

The Flask session cookie (signed, HttpOnly, SameSite=Lax, Secure over HTTPS) holds only the
value of a server-side session issued by :func:`postgate.services.sessions.login`. Every
request looks that session up in the store again, exactly as the API does with bearer
tokens, so logging out, revoking a token or revoking the user bites on the next request.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    abort,
    current_app,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.typing import ResponseReturnValue

from gateway.context import rt
from gateway.i18n import error_text
from postgate.errors import NotAuthenticated, PostgateError, RateLimited
from postgate.services import sessions
from postgate.store.models import AuthToken, User

F = TypeVar("F", bound=Callable[..., Any])
SESSION_KEY = "sid"
_NOT_WEB = ("/api/", "/static/", "/healthz")

bp = Blueprint("websession", __name__)


@bp.before_app_request
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


@bp.app_context_processor
def template_context() -> dict[str, Any]:
    return {
        "current_user": g.get("user"),
        "has_endpoint": lambda name: name in current_app.view_functions,
    }


def web_user() -> User | None:
    return g.get("user")


def web_token() -> AuthToken | None:
    return g.get("token")


def start_session(value: str) -> None:
    """Forget whatever the cookie held (fixation) and keep only the new session value."""
    session.clear()
    session[SESSION_KEY] = value


def end_session() -> None:
    session.clear()


def safe_next(target: str | None) -> str | None:
    """A same-site path to go back to after login; anything else is dropped."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    parts = urlsplit(target)
    return None if parts.scheme or parts.netloc else target


def login_required(view: F) -> F:
    @wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if web_user() is None:
            return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
        return view(*args, **kwargs)

    return wrapped  # type: ignore[return-value]


def roles_required(*roles: str) -> Callable[[F], F]:
    """Pages for some roles only: login first, then 403 unless the user holds one."""

    def decorate(view: F) -> F:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            user = web_user()
            if user is not None and not user.has_role(*roles):
                abort(403)
            return view(*args, **kwargs)

        return login_required(wrapped)  # type: ignore[return-value]

    return decorate


def web_error(exc: PostgateError) -> ResponseReturnValue:
    """Domain errors raised by a page: back to login when signed out, else an error page."""
    if isinstance(exc, NotAuthenticated) and web_user() is None:
        return redirect(url_for("auth.login"))
    # The page shows ``error.message``: give it the reader's language (error_text).
    shown = {"message": error_text(exc), "status": exc.status, "code": exc.code}
    response = current_app.make_response(
        (render_template("auth/error.html", error=shown), exc.status)
    )
    if isinstance(exc, RateLimited):
        response.headers["Retry-After"] = str(exc.retry_after)
    return response
