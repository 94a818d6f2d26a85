"""A request id for every request, and one log line per request that names its route.

The id comes from a plain ``X-Request-Id`` the caller sent (a proxy's) or is made here; it is
sent back in the answer's ``X-Request-Id``, carried by every log line written while the
request runs, and by the jobs it queues (:mod:`postgate.logs`). The line names the route's
pattern (``/api/v1/enrol/<token>``), never the path as typed, which can hold a secret.
"""

from __future__ import annotations

import logging
import time

from flask import Flask, Response, g, request

from postgate.logs import accepted_request_id, bind_request_id, unbind_request_id

log = logging.getLogger("postgate.http")


def init_app(app: Flask) -> None:
    app.before_request(_start)
    app.after_request(_finish)
    app.teardown_request(_forget)


def _start() -> None:
    g.request_id = accepted_request_id(request.headers.get("X-Request-Id"))
    g.request_id_token = bind_request_id(g.request_id)
    g.request_started = time.perf_counter()


def _finish(response: Response) -> Response:
    request_id = g.get("request_id")
    if request_id is None:  # a request refused before our hook ran
        return response
    response.headers["X-Request-Id"] = request_id
    started = g.get("request_started", time.perf_counter())
    log.info(
        "%s %s %s",
        request.method,
        _route(),
        response.status_code,
        extra={
            "method": request.method,
            "route": _route(),
            "status": response.status_code,
            "duration_ms": round((time.perf_counter() - started) * 1000, 1),
        },
    )
    return response


def _forget(_error: BaseException | None) -> None:
    token = g.pop("request_id_token", None)
    if token is not None:
        try:
            unbind_request_id(token)
        except ValueError:  # set in another context (a copied one): it ends with it
            pass


def _route() -> str:
    rule = request.url_rule
    return rule.rule if rule is not None else "(no route)"
