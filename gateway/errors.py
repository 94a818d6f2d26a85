"""One place that turns domain errors and HTTP errors into the API's JSON errors."""

from __future__ import annotations

import logging

from flask import Flask, jsonify, request
from flask.typing import ResponseReturnValue
from werkzeug.exceptions import HTTPException

from postgate.errors import PostgateError, RateLimited

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


def wants_json() -> bool:
    return (
        request.path.startswith("/api/")
        or request.path == "/healthz"
        or (request.accept_mimetypes.best == "application/json")
    )


def init_app(app: Flask) -> None:
    @app.errorhandler(PostgateError)
    def domain_error(exc: PostgateError) -> ResponseReturnValue:
        if not wants_json() and "web_error" in app.view_functions:
            return app.view_functions["web_error"](exc)
        response = jsonify(exc.to_dict())
        response.status_code = exc.status
        if isinstance(exc, RateLimited):
            response.headers["Retry-After"] = str(exc.retry_after)
        return response

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> ResponseReturnValue:
        if not wants_json():
            return exc
        status = exc.code or 500
        response = jsonify({"error": _CODES.get(status, "error"), "message": exc.description or ""})
        response.status_code = status
        return response

    @app.errorhandler(Exception)
    def unexpected(exc: Exception) -> ResponseReturnValue:
        log.exception("unexpected error on %s %s", request.method, request.path)
        response = jsonify(
            {"error": "internal", "message": "an unexpected error happened; it was logged"}
        )
        response.status_code = 500
        return response
