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

    from gateway import errors, health, security
    from gateway.api import api

    errors.init_app(app)
    security.init_app(app)
    app.register_blueprint(health.bp)
    app.register_blueprint(api)
    _register_web(app)
    return app


def _register_web(app: Flask) -> None:
    from gateway.web import init_app as init_web

    init_web(app)
