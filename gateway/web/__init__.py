"""The server-rendered web app for every role.

Web forms carry CSRF tokens (Flask-WTF). The JSON API under ``/api/v1`` authenticates with
bearer tokens, never with cookies, so it needs no CSRF token and is exempt.

The pages for posts, review and the calendar share one blueprint, ``web``, so their
endpoints read ``web.posts``, ``web.review``, ``web.calendar``; each concern adds its routes
from its own module.
"""

from __future__ import annotations

from flask import Blueprint, Flask
from flask_wtf import CSRFProtect

csrf = CSRFProtect()
bp = Blueprint("web", __name__)


def init_app(app: Flask) -> None:
    """Register languages, the web blueprints and CSRF protection for all but the API."""
    from gateway import i18n
    from gateway.web import (  # noqa: F401 - importing a module adds its routes
        admin,
        auth,
        calendar,
        console,
        crisis,
        home,
        posts,
        review,
        session,
    )

    i18n.init_app(app)
    csrf.init_app(app)
    app.register_blueprint(session.bp)
    app.register_blueprint(auth.bp)
    app.register_blueprint(bp)
    _exempt_api(app)


def _exempt_api(app: Flask) -> None:
    """Exempt the API blueprint and its nested ones (Flask-WTF matches the exact name)."""
    for name, blueprint in app.blueprints.items():
        if name == "api" or name.startswith("api."):
            csrf.exempt(blueprint)
