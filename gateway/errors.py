"""One place that turns errors into answers: JSON for the API, pages for people.

The API (``/api/``, ``/healthz``, or any request that asks for JSON) gets CONTRACT.md's
``{"error", "message", "field"}`` with its status. A page gets a page in the reader's
language: the login page when nobody is signed in, the "not allowed" page when the caller's
roles do not fit (``gateway.access``), else the error page with the service's message, or
for an unexpected exception a message that says only that it was logged.
"""

from __future__ import annotations

import logging

from flask import (
    Flask,
    Response,
    jsonify,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import gettext
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from werkzeug.exceptions import HTTPException

from gateway.access import RoleRequired, signed_in_user
from gateway.api.answers import Error
from gateway.i18n import error_text
from gateway.outages import OUTAGES, is_outage
from postgate.errors import NotAuthenticated, PostgateError, RateLimited

log = logging.getLogger("postgate.gateway")

_CODES = {
    400: "malformed",
    401: "not_authenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    415: "unsupported_media",
    422: "invalid",
    429: "rate_limited",
}
OUTAGE_RETRY_SECONDS = 5


def is_api() -> bool:
    """Whether the request is for the API (or the health check) rather than a page."""
    return request.path.startswith("/api/") or request.path == "/healthz"


def wants_json() -> bool:
    return is_api() or request.accept_mimetypes.best == "application/json"


def init_app(app: Flask) -> None:
    app.register_error_handler(PostgateError, domain_error)
    app.register_error_handler(403, forbidden)
    app.register_error_handler(HTTPException, http_error)
    for outage in OUTAGES:
        app.register_error_handler(outage, unavailable)
    app.register_error_handler(Exception, unexpected)


def domain_error(exc: PostgateError) -> ResponseReturnValue:
    """A service's or an access check's refusal."""
    if not is_api() and isinstance(exc, NotAuthenticated) and signed_in_user() is None:
        return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
    if not is_api() and isinstance(exc, RoleRequired):
        return _forbidden_page()
    response = error_json(exc.to_dict()) if wants_json() else _error_page(exc)
    response.status_code = exc.status
    if isinstance(exc, RateLimited):
        response.headers["Retry-After"] = str(exc.retry_after)
    return response


def forbidden(exc: HTTPException) -> ResponseReturnValue:
    """``abort(403)``: a page that is not the caller's to see (ownership, not role)."""
    if request.path.startswith("/api/"):
        return error_json({"error": "forbidden", "message": "this needs another role"}), 403
    return _forbidden_page()


def http_error(exc: HTTPException) -> ResponseReturnValue:
    if not wants_json():
        return exc
    status = exc.code or 500
    response = error_json({"error": _CODES.get(status, "error"), "message": exc.description or ""})
    response.status_code = status
    for name, value in exc.get_headers():  # e.g. the Allow of a 405 (RFC 9110, 15.5.6)
        if name.lower() != "content-type":
            response.headers[name] = value
    return response


def unavailable(exc: Exception) -> ResponseReturnValue:
    """The store or Redis did not answer: 503 with ``Retry-After``, never a 500.

    Every write commits in one transaction before the answer, so a request cut short here
    changed nothing and can simply be sent again.
    """
    which = "Redis" if isinstance(exc, RedisConnectionError | RedisTimeoutError) else "the store"
    log.warning(
        "%s unavailable on %s %s: %s", which, request.method, request.path, type(exc).__name__
    )
    retry = str(OUTAGE_RETRY_SECONDS)
    if wants_json():
        body = {
            "error": "unavailable",
            "message": "Postgate cannot reach its storage right now; try again shortly",
        }
        response = error_json(body)
        response.status_code = 503
    else:
        message = gettext("Postgate cannot reach its storage right now; try again in a moment.")
        response = Response(message, 503, mimetype="text/plain")
    response.headers["Retry-After"] = retry
    return response


def unexpected(exc: Exception) -> ResponseReturnValue:
    """A bug, logged with its traceback, which the answer never shows; or an error raised
    while an outage was handled, which is that outage (logged with its traceback too)."""
    if is_outage(exc):
        log.warning("an error while the store or Redis was away", exc_info=exc)
        return unavailable(exc)
    log.exception("unexpected error on %s %s", request.method, request.path)
    if wants_json():
        body = {"error": "internal", "message": "an unexpected error happened; it was logged"}
        return error_json(body), 500
    message = gettext("An unexpected error happened; it was logged.")
    try:
        page = render_template("auth/error.html", error={"message": message, "status": 500})
    except Exception:  # the page itself needs what failed (the store, a template)
        log.exception("the error page failed too on %s %s", request.method, request.path)
        return Response(message, 500, mimetype="text/plain")
    return page, 500


def error_json(body: dict[str, str]) -> Response:
    """CONTRACT.md's error object, through the model ``/api/v1/openapi.json`` describes."""
    return jsonify(Error.model_validate(body).model_dump(exclude_unset=True))


def _error_page(exc: PostgateError) -> Response:
    """The error page, with the service's message in the reader's language."""
    shown = {"message": error_text(exc), "status": exc.status, "code": exc.code}
    return make_response(render_template("auth/error.html", error=shown))


def _forbidden_page() -> ResponseReturnValue:
    return render_template("auth/forbidden.html", user=signed_in_user()), 403
