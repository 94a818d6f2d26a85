"""The authorization code flow the way Mastodon (Doorkeeper) runs it, with a consent page.

- ``GET /oauth/authorize`` (``response_type=code``, ``client_id``, ``redirect_uri``,
  ``scope``, ``state``, and PKCE's ``code_challenge`` with ``code_challenge_method=S256``,
  which Mastodon accepts since 4.3) shows a consent page: the app's name, the scopes asked
  for, an account chooser (the sandbox's accounts, or a new name) and Authorize / Deny. An
  unknown client or a redirect URI the app did not register is an error page, never a
  redirect (RFC 6749 section 4.1.2.1); other faults go back to the redirect URI as
  ``error=...`` with the ``state``. A scope the app was not registered with is
  ``invalid_scope``; a challenge method other than S256 is ``invalid_request``.
- ``POST /oauth/authorize`` with ``decision=authorize`` redirects with ``code`` and
  ``state``; with ``decision=deny``, with ``error=access_denied`` (Doorkeeper's words).
- The token endpoint (:mod:`sandbox.oauth`) redeems a code once, for the app it was issued
  to, with the same ``redirect_uri``, within 10 minutes (Doorkeeper's
  ``authorization_code_expires_in``), and with the verifier whose S256 is the challenge;
  anything else is ``invalid_grant``.

Doorkeeper documents these at https://docs.joinmastodon.org/methods/oauth/#authorize and
https://docs.joinmastodon.org/methods/oauth/#token; the PKCE checks are RFC 7636 section 4.6.
"""

from __future__ import annotations

import base64
import hashlib
import html
import secrets
from typing import Any
from urllib.parse import urlencode

from flask import Blueprint, redirect, request
from werkzeug.wrappers import Response

from sandbox.state import current_state
from sandbox.store import SandboxStore, now_ms

bp = Blueprint("sandbox_oauth_authorize", __name__)

SCHEMA = """
CREATE TABLE IF NOT EXISTS auth_codes (
    code TEXT PRIMARY KEY,
    app_id INTEGER NOT NULL,
    account_id INTEGER NOT NULL,
    redirect_uri TEXT NOT NULL,
    scopes TEXT NOT NULL,
    challenge TEXT,
    created_at INTEGER NOT NULL,
    used INTEGER NOT NULL DEFAULT 0
);
"""
CODE_LIFETIME_MS = 10 * 60 * 1000
# Mastodon's config/initializers/doorkeeper.rb (default_scopes :read): what an app registers
# with, and what a consent or token request gets, when it names no scope.
DEFAULT_SCOPES = "read"
INVALID_GRANT = (
    "The provided authorization grant is invalid, expired, revoked, does not match the "
    "redirection URI used in the authorization request, or was issued to another client."
)


class GrantError(Exception):
    """A code that cannot be redeemed: the token endpoint answers ``invalid_grant``."""


def create_schema(store: SandboxStore) -> None:
    with store.connection() as db:
        db.executescript(SCHEMA)


def _app(store: SandboxStore, client_id: str) -> dict[str, Any] | None:
    with store.connection() as db:
        row = db.execute(
            "SELECT id, name, redirect_uri, scopes FROM apps WHERE client_id = ?", (client_id,)
        ).fetchone()
    return dict(zip(("id", "name", "redirect_uri", "scopes"), row, strict=True)) if row else None


def _account_names(store: SandboxStore) -> list[str]:
    with store.connection() as db:
        rows = db.execute(
            "SELECT username FROM accounts WHERE username NOT LIKE '\\_%' ESCAPE '\\'"
            " ORDER BY username"
        ).fetchall()
    return [r[0] for r in rows]


def _back(redirect_uri: str, **params: str) -> Response:
    """Back to the client (RFC 6749 section 4.1.2), with the code or the error."""
    sep = "&" if "?" in redirect_uri else "?"
    return redirect(f"{redirect_uri}{sep}{urlencode({k: v for k, v in params.items() if v})}")


def _page(title: str, body: str, status: int = 200) -> Response:
    text = (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        f"<title>{html.escape(title)}</title></head><body><main>{body}</main></body></html>"
    )
    return Response(text, status, mimetype="text/html")


def _checked_request(args: Any) -> tuple[dict[str, Any], dict[str, str]] | Response:
    """The app and the request's parameters, or the answer that refuses them."""
    store = current_state().store
    params = {
        k: args.get(k, "")
        for k in (
            "response_type",
            "client_id",
            "redirect_uri",
            "scope",
            "state",
            "code_challenge",
            "code_challenge_method",
        )
    }
    app = _app(store, params["client_id"])
    if app is None:
        return _page("Error", "<p>invalid_client: Client authentication failed.</p>", 401)
    if params["redirect_uri"] not in app["redirect_uri"].split():
        return _page(
            "Error", "<p>invalid_redirect_uri: The redirect uri included is not valid.</p>", 400
        )
    state, back = params["state"], params["redirect_uri"]
    if params["response_type"] != "code":
        return _back(back, error="unsupported_response_type", state=state)
    asked = (params["scope"] or DEFAULT_SCOPES).split()
    if not set(asked) <= granted(app["scopes"]):
        return _back(back, error="invalid_scope", state=state)
    method = params["code_challenge_method"]
    if (params["code_challenge"] or method) and method != "S256":
        return _back(
            back, error="invalid_request", error_description="code_challenge_method", state=state
        )
    params["scope"] = " ".join(asked)
    return app, params


def granted(registered: str) -> set[str]:
    """The scopes an app registered with, and the granular ones they include: what a token
    of the app may ask for."""
    scopes = set(registered.split())
    for broad in ("read", "write"):
        if broad in scopes:
            scopes |= {s for s in _GRANULAR if s.startswith(broad + ":")}
    return scopes


_GRANULAR = ("read:accounts", "read:statuses", "write:statuses", "write:media")


@bp.get("/oauth/authorize")
def consent() -> Response:
    """The consent page: which account, and Authorize or Deny."""
    checked = _checked_request(request.args)
    if isinstance(checked, Response):
        return checked
    app, params = checked
    names = _account_names(current_state().store)
    hidden = "".join(
        f"<input type='hidden' name='{k}' value='{html.escape(v, quote=True)}'>"
        for k, v in params.items()
    )
    options = "".join(f"<option>{html.escape(n)}</option>" for n in names)
    body = (
        f"<h1>Authorize {html.escape(app['name'])}?</h1>"
        f"<p>It asks for: <strong id='scopes'>{html.escape(params['scope'])}</strong></p>"
        "<form method='post' action='/oauth/authorize'>"
        + hidden
        + "<label for='account'>Sign in as</label> "
        f"<select id='account' name='account'>{options}</select> "
        "<label for='new_account'>or another account</label> "
        "<input id='new_account' name='new_account' autocomplete='off'> "
        "<button type='submit' name='decision' value='authorize'>Authorize</button> "
        "<button type='submit' name='decision' value='deny'>Deny</button></form>"
    )
    return _page("Authorization required", body)


@bp.post("/oauth/authorize")
def decide() -> Response:
    """The account holder's answer: a code for the chosen account, or ``access_denied``."""
    checked = _checked_request(request.form)
    if isinstance(checked, Response):
        return checked
    app, params = checked
    if request.form.get("decision") != "authorize":
        return _back(
            params["redirect_uri"],
            error="access_denied",
            error_description="The resource owner or authorization server denied the request.",
            state=params["state"],
        )
    name = (
        (request.form.get("new_account") or request.form.get("account") or "").strip().lstrip("@")
    )
    if not name or name.startswith("_"):
        return _page("Error", "<p>Choose an account.</p>", 422)
    store = current_state().store
    account = store.account(name)
    assert account is not None
    code = secrets.token_urlsafe(32)
    with store.connection() as db:
        db.execute(
            "INSERT INTO auth_codes (code, app_id, account_id, redirect_uri, scopes, challenge,"
            " created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                code,
                app["id"],
                account.id,
                params["redirect_uri"],
                params["scope"],
                params["code_challenge"] or None,
                now_ms(),
            ),
        )
    return _back(params["redirect_uri"], code=code, state=params["state"])


def redeem(store: SandboxStore, app_id: int, data: dict[str, Any]) -> tuple[int, str]:
    """Use a code up: ``(account id, scopes)``, or :class:`GrantError`."""
    code = str(data.get("code") or "")
    with store.connection() as db:
        row = db.execute(
            "SELECT app_id, account_id, redirect_uri, scopes, challenge, created_at, used"
            " FROM auth_codes WHERE code = ?",
            (code,),
        ).fetchone()
        if row is None or row[6]:
            raise GrantError(INVALID_GRANT)
        db.execute("UPDATE auth_codes SET used = 1 WHERE code = ?", (code,))
    owner, account_id, redirect_uri, scopes, challenge, created, _ = row
    if owner != app_id or str(data.get("redirect_uri") or "") != redirect_uri:
        raise GrantError(INVALID_GRANT)
    if now_ms() - created > CODE_LIFETIME_MS:
        raise GrantError(INVALID_GRANT)
    if challenge is not None and not _pkce_ok(challenge, str(data.get("code_verifier") or "")):
        raise GrantError(INVALID_GRANT)
    return account_id, scopes


def _pkce_ok(challenge: str, verifier: str) -> bool:
    """RFC 7636 section 4.6: BASE64URL(SHA256(verifier)) equals the challenge."""
    if not 43 <= len(verifier) <= 128:
        return False
    digest = hashlib.sha256(verifier.encode("ascii", "replace")).digest()
    computed = base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
    return secrets.compare_digest(computed, challenge)
