"""Every 403 the app answers, from the API or a web page, is audited (``access:forbidden``).

One hook on the response rather than one call per check: a refusal can come from a role
decorator, a service's ownership rule or a page's ``abort(403)``, and each must leave a trace.
What is recorded, and how a flood is kept out of the chain, is
:mod:`postgate.services.refusals`.
"""

from __future__ import annotations

from flask import Flask, Response, g, request

from gateway.context import rt, source_address
from postgate.services import refusals


def init_app(app: Flask) -> None:
    @app.after_request
    def audit_forbidden(response: Response) -> Response:
        if response.status_code == 403:
            user = g.get("user")
            body = response.get_json(silent=True) if response.is_json else None
            refusals.record_forbidden(
                rt(),
                actor=user.username if user is not None else "-",
                method=request.method,
                path=request.path,
                endpoint=request.endpoint or "",
                reason=str(body.get("message", "")) if isinstance(body, dict) else "",
                source=source_address(),
            )
        return response
