"""The Postgate web app and JSON API.

``create_app`` follows the Flask tutorial's factory: defaults, then settings, then extensions
bound inside the factory and blueprints imported inside it, so importing this package opens
no connection and reads no setting.
"""

from __future__ import annotations

from typing import Any

from flask import Flask

from postgate.settings import Settings


def create_app(
    test_config: dict[str, Any] | None = None, settings: Settings | None = None
) -> Flask:
    from postgate.runtime import Runtime
    from postgate.services.setup import load_web_secret
    from postgate.settings import load_settings

    app = Flask(__name__, instance_relative_config=False)
    settings = settings or load_settings()
    runtime = Runtime(settings)
    secret = load_web_secret(runtime)
    if not secret:
        from postgate.errors import SettingsError

        raise SettingsError("POSTGATE_WEB_SECRET: no web secret; run `postgate init` first")
    app.config.from_mapping(
        SECRET_KEY=secret,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.https,
        SESSION_COOKIE_NAME="postgate_session",
        MAX_CONTENT_LENGTH=1 * 1024 * 1024,
        JSON_SORT_KEYS=False,
        WTF_CSRF_TIME_LIMIT=None,
    )
    if test_config:
        app.config.update(test_config)
    app.extensions["postgate"] = runtime

    from gateway import (
        audit_refusals,
        clock,
        errors,
        i18n,
        inputs,
        proxies,
        reasons,
        request_log,
        security,
    )
    from gateway.web import csrf, session

    app.wsgi_app = proxies.wrap(  # type: ignore[method-assign]
        app.wsgi_app, settings.trusted_proxies, settings.trusted_proxy_hops
    )

    inputs.init_app(app)  # before any route is added: it sets the id converter
    request_log.init_app(app)  # first: every later hook's log lines carry the request id

    errors.init_app(app)
    security.init_app(app)
    audit_refusals.init_app(app)
    i18n.init_app(app)
    reasons.init_app(app)
    clock.init_app(app)
    csrf.init_app(app)
    session.init_app(app)
    _register_blueprints(app)
    for name, blueprint in app.blueprints.items():
        if name.startswith("api."):  # Flask-WTF matches the innermost blueprint
            csrf.exempt(blueprint)  # bearer tokens, never cookies: no CSRF to fear
    return app


def _register_blueprints(app: Flask) -> None:
    """Every route of Postgate, registered here and nowhere else: the health check, the API
    (a blueprint per concern nested under ``/api/v1``: ``gateway/api/__init__.py`` lists
    them), and a blueprint per concern of the web pages (``gateway/web/__init__.py`` lists
    them)."""
    from gateway import health, i18n, metrics
    from gateway.api import api_blueprint
    from gateway.web import (
        accounts,
        admin,
        alerts,
        audit,
        auth,
        calendar,
        collab,
        console,
        crisis,
        enrol,
        home,
        media,
        notifications,
        oauth,
        password,
        posts,
        review,
        rules_admin,  # noqa: F401 (the rules page's changes: routes of admin.bp)
        settle,
        takedowns,
        users,
        zone,
    )

    app.register_blueprint(health.bp)
    app.register_blueprint(metrics.bp)
    app.register_blueprint(api_blueprint())
    for page in (
        i18n.bp,
        auth.bp,
        enrol.bp,
        password.bp,
        home.bp,
        posts.bp,
        collab.bp,
        media.bp,
        crisis.bp,
        settle.bp,
        review.bp,
        calendar.bp,
        console.bp,
        alerts.bp,
        takedowns.bp,
        audit.bp,
        users.bp,
        admin.bp,
        accounts.bp,
        oauth.bp,
        notifications.bp,
        zone.bp,
    ):
        app.register_blueprint(page)
