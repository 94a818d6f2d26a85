"""OAuth apps and tokens the way Mastodon (Doorkeeper) hands them out and takes them back.

- ``POST /api/v1/apps`` registers an application and answers its ``client_id`` and
  ``client_secret`` (``Api::V1::AppsController``; ``client_name`` and ``redirect_uris``
  are required).
- ``POST /oauth/token`` issues a token to an app: ``grant_type=authorization_code`` (a code
  from the consent page of :mod:`sandbox.oauth_authorize`), ``grant_type=client_credentials``
  (an app token, acting as no account) or ``grant_type=password`` with ``username`` naming the
  sandbox account (the sandbox has no passwords; any ``password`` is taken). The client
  authenticates with ``client_id``/``client_secret`` in the body or HTTP Basic. A token holds
  the scopes it was granted, not its app's: those its code was given, or those it asks for
  (none asked: ``read``, when the app has it); a scope the app was not registered with is
  400 ``invalid_scope``. :mod:`sandbox.scopes` checks calls against them.
- ``POST /oauth/revoke`` (RFC 7009, Doorkeeper's ``RevokeController``): an unknown token
  answers 200 ``{}``; a token issued to a confidential app is revoked only when that app's
  credentials come with the request, else 403 ``unauthorized_client`` and the token keeps
  working. The switch ``revoke_requires_client`` (:mod:`sandbox.switches`) relaxes that.

The control endpoint ``POST /sandbox/accounts/<name>/tokens`` issues its tokens through
:func:`issue_app_token`, so Postgate, which connects sandbox accounts through it, receives
the app's client credentials with the token, as an admin would copy them from Mastodon's
"Development" page.
"""

from __future__ import annotations

import secrets
from typing import Any

from flask import Blueprint, Response, jsonify, request

from sandbox import oauth_authorize
from sandbox.api import form_data, string_field
from sandbox.errors import BadRequest, Invalid, SandboxError
from sandbox.oauth_authorize import DEFAULT_SCOPES
from sandbox.state import current_state
from sandbox.store import Account, SandboxStore, now_ms
from sandbox.switches import current_realism

bp = Blueprint("sandbox_oauth", __name__)

SCHEMA = """
CREATE TABLE IF NOT EXISTS apps (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL,
    website TEXT,
    redirect_uri TEXT NOT NULL,
    scopes TEXT NOT NULL,
    client_id TEXT NOT NULL UNIQUE,
    client_secret TEXT NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS token_apps (
    token TEXT PRIMARY KEY,
    app_id INTEGER NOT NULL REFERENCES apps(id)
);
CREATE TABLE IF NOT EXISTS token_scopes (
    token TEXT PRIMARY KEY,
    scopes TEXT NOT NULL
);
"""
# Doorkeeper's words for a scope the app was not registered with (Mastodon's locale).
INVALID_SCOPE = "The requested scope is invalid, unknown, or malformed."
CONTROL_APP = "Postgate sandbox"
OOB = "urn:ietf:wg:oauth:2.0:oob"


class OAuthError(SandboxError):
    """Doorkeeper's error body: ``{"error", "error_description"}``."""

    def __init__(self, status: int, error: str, description: str) -> None:
        super().__init__(error)
        self.status, self.description = status, description


def oauth_error(exc: OAuthError) -> tuple[Response, int]:
    """Rendered like Doorkeeper, not like the API's ``{"error": message}``."""
    return jsonify({"error": exc.message, "error_description": exc.description}), exc.status


def create_schema(store: SandboxStore) -> None:
    """The apps and token-to-app tables, in the sandbox's own file."""
    with store.connection() as db:
        db.executescript(SCHEMA)


def create_app_record(
    store: SandboxStore,
    name: str,
    redirect_uri: str = OOB,
    scopes: str = DEFAULT_SCOPES,
    website: str = "",
) -> dict[str, Any]:
    """Register an app; returns its row as a dict (``id``, ``client_id``, ``client_secret``...)."""
    row = {
        "name": name,
        "website": website or None,
        "redirect_uri": redirect_uri,
        "scopes": scopes,
        "client_id": secrets.token_urlsafe(32),
        "client_secret": secrets.token_urlsafe(32),
        "created_at": now_ms(),
    }
    with store.connection() as db:
        cursor = db.execute(
            "INSERT INTO apps (name, website, redirect_uri, scopes, client_id, client_secret,"
            " created_at) VALUES (:name, :website, :redirect_uri, :scopes, :client_id,"
            " :client_secret, :created_at)",
            row,
        )
    return {"id": cursor.lastrowid, **row}


def app_by_client(store: SandboxStore, client_id: str, client_secret: str) -> dict[str, Any] | None:
    """The app these client credentials authenticate, or None."""
    with store.connection() as db:
        row = db.execute(
            "SELECT id, client_secret, scopes FROM apps WHERE client_id = ?", (client_id,)
        ).fetchone()
    if row is None or not secrets.compare_digest(row[1], client_secret):
        return None
    return {"id": row[0], "client_id": client_id, "scopes": row[2]}


def bind_token(store: SandboxStore, token: str, app_id: int, scopes: str) -> None:
    """Remember which app a token was issued to (Doorkeeper's ``application_id``) and the
    scopes it was granted, which may be fewer than its app's: those are what it may do."""
    with store.connection() as db:
        db.execute("INSERT INTO token_apps (token, app_id) VALUES (?, ?)", (token, app_id))
        db.execute("INSERT INTO token_scopes (token, scopes) VALUES (?, ?)", (token, scopes))


def granted_scopes(app: dict[str, Any], asked: str) -> str:
    """The scopes a token asked for with ``password`` or ``client_credentials`` gets, as
    Doorkeeper grants them (``BaseRequest#build_scopes``, ``ScopeChecker``): those asked for,
    when the app was registered with each; none asked, the app's share of Mastodon's default
    scopes (``read``); any other scope is ``invalid_scope``."""
    wanted = asked.split()
    if not wanted:
        registered = app["scopes"].split()
        return " ".join(s for s in DEFAULT_SCOPES.split() if s in registered)
    if not set(wanted) <= oauth_authorize.granted(app["scopes"]):
        raise OAuthError(400, "invalid_scope", INVALID_SCOPE)
    return " ".join(wanted)


def token_app(store: SandboxStore, token: str) -> int | None:
    """The app a token was issued to, or None (tokens issued before apps existed)."""
    with store.connection() as db:
        row = db.execute("SELECT app_id FROM token_apps WHERE token = ?", (token,)).fetchone()
    return row[0] if row else None


def issue_app_token(
    store: SandboxStore, account: Account, scopes: str = "read write"
) -> dict[str, str]:
    """A new app and a token of it for the account: what the control endpoint hands out."""
    app = create_app_record(store, CONTROL_APP, scopes=scopes)
    token = store.issue_token(account.id)
    bind_token(store, token, app["id"], " ".join(scopes.split()))
    return {
        "access_token": token,
        "account_id": str(account.id),
        "client_id": app["client_id"],
        "client_secret": app["client_secret"],
    }


def application_json(app: dict[str, Any], *, with_secret: bool) -> dict[str, Any]:
    """Mastodon's (Credential)Application entity."""
    body: dict[str, Any] = {
        "id": str(app["id"]),
        "name": app["name"],
        "website": app["website"],
        "scopes": app["scopes"].split(),
        "redirect_uri": app["redirect_uri"],
        "redirect_uris": app["redirect_uri"].split(),
        "vapid_key": "",
    }
    if with_secret:
        body |= {
            "client_id": app["client_id"],
            "client_secret": app["client_secret"],
            "client_secret_expires_at": 0,
        }
    return body


@bp.post("/api/v1/apps")
def create_app() -> Response:
    """Register an application; the answer is the only time the secret is shown."""
    data = form_data()
    name = string_field(data, "client_name").strip()
    if not name:
        raise Invalid("Validation failed: Application name can't be blank")
    redirect = data.get("redirect_uris", "")
    if isinstance(redirect, list):
        redirect = " ".join(str(uri) for uri in redirect)
    if not isinstance(redirect, str) or not redirect.strip():
        raise Invalid("Validation failed: Redirect URI can't be blank")
    scopes = string_field(data, "scopes", DEFAULT_SCOPES) or DEFAULT_SCOPES
    website = string_field(data, "website")
    app = create_app_record(current_state().store, name, redirect.strip(), scopes, website)
    return jsonify(application_json(app, with_secret=True))


def _client(data: dict[str, Any]) -> dict[str, Any] | None:
    """The app the request authenticates as (body fields or HTTP Basic), if any."""
    auth = request.authorization
    if auth is not None and auth.type == "basic":
        client_id, client_secret = auth.username or "", auth.password or ""
    else:
        client_id = string_field(data, "client_id")
        client_secret = string_field(data, "client_secret")
    if not client_id or not client_secret:
        return None
    return app_by_client(current_state().store, client_id, client_secret)


@bp.post("/oauth/token")
def token() -> Response:
    """Issue a token to an authenticated app (``client_credentials`` or ``password``)."""
    data = form_data()
    app = _client(data)
    if app is None:
        raise OAuthError(
            401,
            "invalid_client",
            "Client authentication failed due to unknown client, no client authentication"
            " included, or unsupported authentication method.",
        )
    grant = string_field(data, "grant_type")
    store = current_state().store
    if grant in ("client_credentials", "password"):
        scope = granted_scopes(app, string_field(data, "scope"))
    if grant == "client_credentials":
        account_id = _app_account(store)
    elif grant == "authorization_code":  # sandbox.oauth_authorize: once, same URI, PKCE
        try:
            account_id, scope = oauth_authorize.redeem(store, app["id"], data)
        except oauth_authorize.GrantError as exc:
            raise OAuthError(400, "invalid_grant", str(exc)) from None
    elif grant == "password":
        account = store.account(string_field(data, "username").lstrip("@"), create=False)
        if account is None:
            raise OAuthError(400, "invalid_grant", "The provided authorization grant is invalid.")
        account_id = account.id
    else:
        raise OAuthError(
            400, "unsupported_grant_type", "The authorization grant type is not supported."
        )
    issued = store.issue_token(account_id)
    bind_token(store, issued, app["id"], scope)
    return jsonify(
        {
            "access_token": issued,
            "token_type": "Bearer",
            "scope": scope,
            "created_at": now_ms() // 1000,
        }
    )


def _app_account(store: SandboxStore) -> int:
    """App tokens act as no user; the sandbox gives them an account nobody posts as."""
    account = store.account("_app")
    assert account is not None
    return account.id


@bp.post("/oauth/revoke")
def revoke() -> Response:
    """Revoke a token; a confidential app's token only with that app's credentials."""
    data = form_data()
    token_value = string_field(data, "token").strip()
    if not token_value:
        raise BadRequest("The request is missing a required parameter: token")
    store = current_state().store
    app_id = token_app(store, token_value)
    if app_id is not None and current_realism().revoke_requires_client:
        client = _client(data)
        if client is None or client["id"] != app_id:
            raise OAuthError(
                403, "unauthorized_client", "You are not authorized to revoke this token"
            )
    if store.revoke_token(token_value):
        # Here, not at the top: the streaming module imports the control one, which imports
        # this one.
        from sandbox.streaming import kill_token_streams

        kill_token_streams(token_value)  # Mastodon ends the token's streams at once
    return jsonify({})
