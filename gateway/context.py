"""Request-scoped access to the runtime and to where the request comes from."""

from __future__ import annotations

from flask import current_app, request

from postgate.runtime import Runtime


def rt() -> Runtime:
    return current_app.extensions["postgate"]


def source_address() -> str:
    return request.remote_addr or ""
