"""Talking to authorization servers: register an app, trade a code, refresh, list what to pick.

Every request goes through the URL guard (:mod:`postgate.urlguard`), like the connectors'.
Failures come back as two kinds, which is all the callers need to tell apart:
:class:`GrantRefused` (the server said no to this code or token: ``invalid_grant``, a
revoked app, any 400/401/403) and :class:`ServerUnavailable` (down, rate limited, or answering
what its documentation does not describe). Messages are built from the server's error body,
with every secret of the exchange redacted; a :class:`TokenSet` never shows its tokens.
"""

from __future__ import annotations

import base64
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode

import httpx

from postgate.oauth.config import OAuthApp
from postgate.oauth.providers import OAuthProvider, Pick
from postgate.platforms.linkedin import VERSION
from postgate.urlguard import GuardedTransport, UrlPolicy, URLRefused

TIMEOUT = 10.0
LINKEDIN_VERSION = VERSION  # the LinkedIn-Version the connector speaks
MAX_DETAIL = 300
MAX_CHOICES = 50  # organisations or Pages offered after one consent


class OAuthFailure(Exception):
    """An exchange with an authorization server failed; ``message`` is safe to show."""

    def __init__(self, message: str, *, error: str = "") -> None:
        super().__init__(message)
        self.message, self.error = message, error


class GrantRefused(OAuthFailure):
    """The server refused the code or the token: only a new consent helps."""


class ServerUnavailable(OAuthFailure):
    """No usable answer this time (network, 5xx, 429, an unreadable body): try again later."""


@dataclass(frozen=True)
class TokenSet:
    """What a token endpoint granted."""

    access_token: str
    refresh_token: str | None = None
    expires_at: datetime | None = None
    scope: str = ""
    user_id: str | None = None  # Threads names the user in the token answer

    def __repr__(self) -> str:
        return f"TokenSet(expires_at={self.expires_at!r}, scope={self.scope!r})"


@dataclass(frozen=True)
class Choice:
    """Something the admin may connect after consent: an organisation, a Page, an account."""

    id: str
    name: str
    token: str | None = None  # a Page's own token, when the choice comes with one

    def __repr__(self) -> str:
        return f"Choice(id={self.id!r}, name={self.name!r})"


class Exchange:
    """One conversation with an authorization server, over the guarded transport."""

    def __init__(
        self, policy: UrlPolicy, *, secrets: Iterable[str] = (), transport: Any = None
    ) -> None:
        self._secrets = [s for s in secrets if s]
        self._http = httpx.Client(transport=transport or GuardedTransport(policy), timeout=TIMEOUT)

    def __enter__(self) -> Exchange:
        return self

    def __exit__(self, *exc: object) -> None:
        self._http.close()

    def hide(self, *values: str | None) -> None:
        """Redact these values too from every message from now on."""
        self._secrets.extend(v for v in values if v)

    def call(self, method: str, url: str, **kwargs: Any) -> dict[str, Any]:
        """The JSON object answered, or the failure it amounts to."""
        try:
            response = self._http.request(method, url, **kwargs)
        except URLRefused as exc:
            raise ServerUnavailable(f"the address is refused: {exc}") from None
        except httpx.HTTPError as exc:
            raise ServerUnavailable(f"{_host(url)} did not answer ({type(exc).__name__})") from None
        body = _json(response)
        if response.status_code >= 400:
            raise self._failure(url, response.status_code, body)
        if not isinstance(body, dict):
            raise ServerUnavailable(f"{_host(url)} answered something other than a JSON object")
        return body

    def _failure(self, url: str, status: int, body: Any) -> OAuthFailure:
        error, detail = _error_of(body)
        text = self._redact(f"{_host(url)} answered {status}: {detail or error or 'no detail'}")
        if status in (400, 401, 403):
            return GrantRefused(text, error=error)
        return ServerUnavailable(text, error=error)

    def _redact(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, "[redacted]")
        return text[:MAX_DETAIL]


def _host(url: str) -> str:
    return httpx.URL(url).host or url


def _json(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


def _error_of(body: Any) -> tuple[str, str]:
    """RFC 6749's ``error``/``error_description``, or Meta's ``error: {type, message}``."""
    if not isinstance(body, dict):
        return "", ""
    error = body.get("error")
    if isinstance(error, dict):  # Graph API: {"error": {"message", "type", "code"}}
        return str(error.get("type") or ""), str(error.get("message") or "")
    description = body.get("error_description") or body.get("message") or ""
    return str(error or ""), str(description)


def _text(body: Mapping[str, Any], key: str) -> str | None:
    value = body.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise ServerUnavailable(f"the token answer's {key} is not text")
    return str(value)


def token_set(
    body: Mapping[str, Any], now: datetime, fallback_refresh: str | None = None
) -> TokenSet:
    """Read a token answer (RFC 6749 section 5.1, and Meta's and Threads' variants)."""
    token = _text(body, "access_token")
    if not token:
        raise ServerUnavailable("the token answer has no access_token")
    expires = body.get("expires_in")
    expires_at = None
    if isinstance(expires, int | float) and not isinstance(expires, bool) and expires > 0:
        expires_at = now + timedelta(seconds=float(expires))
    scope = body.get("scope")
    return TokenSet(
        access_token=token,
        refresh_token=_text(body, "refresh_token") or fallback_refresh,
        expires_at=expires_at,
        scope=" ".join(scope) if isinstance(scope, list) else str(scope or ""),
        user_id=_text(body, "user_id"),
    )


def instance_url(provider: OAuthProvider, base_url: str | None, url: str) -> str:
    """A per-instance provider's path on the server; other providers' URLs as they are."""
    if provider.per_instance:
        return f"{(base_url or '').rstrip('/')}{url}"
    return url


def register_app(
    exchange: Exchange, base_url: str, redirect_uri: str, scopes: str, website: str = ""
) -> OAuthApp:
    """``POST /api/v1/apps`` on a Mastodon server: the app the token will belong to."""
    form = {"client_name": "Postgate", "redirect_uris": redirect_uri, "scopes": scopes}
    if website:
        form["website"] = website
    body = exchange.call("POST", f"{base_url.rstrip('/')}/api/v1/apps", data=form)
    client_id, secret = _text(body, "client_id"), _text(body, "client_secret")
    if not client_id or not secret:
        raise ServerUnavailable("the server registered no client_id and client_secret")
    exchange.hide(secret)
    return OAuthApp(client_id, secret)


def authorization_url(
    provider: OAuthProvider,
    base_url: str | None,
    app: OAuthApp,
    redirect_uri: str,
    state: str,
    challenge: str | None,
) -> str:
    """Where the admin's browser goes to consent (RFC 6749 section 4.1.1, RFC 7636)."""
    query = {
        "response_type": "code",
        "client_id": app.client_id,
        "redirect_uri": redirect_uri,
        "scope": provider.scope_separator.join(provider.scopes),
        "state": state,
    }
    if challenge:
        query |= {"code_challenge": challenge, "code_challenge_method": "S256"}
    return f"{instance_url(provider, base_url, provider.authorize_url)}?{urlencode(query)}"


def _client_auth(provider: OAuthProvider, app: OAuthApp) -> tuple[dict[str, str], dict[str, str]]:
    """(headers, form fields) that authenticate the app to the token endpoint."""
    if provider.client_auth == "basic":
        pair = f"{app.client_id}:{app.client_secret}".encode()
        return {"Authorization": "Basic " + base64.b64encode(pair).decode()}, {
            "client_id": app.client_id
        }
    return {}, {"client_id": app.client_id, "client_secret": app.client_secret}


def _token_call(
    exchange: Exchange,
    provider: OAuthProvider,
    base_url: str | None,
    app: OAuthApp,
    fields: dict[str, str],
) -> dict[str, Any]:
    headers, auth = _client_auth(provider, app)
    url = instance_url(provider, base_url, provider.token_url)
    if provider.exchange_method == "GET":  # Graph API: everything in the query string
        return exchange.call("GET", url, params=auth | fields, headers=headers)
    return exchange.call("POST", url, data=auth | fields, headers=headers)


def exchange_code(
    exchange: Exchange,
    provider: OAuthProvider,
    base_url: str | None,
    app: OAuthApp,
    *,
    code: str,
    redirect_uri: str,
    verifier: str | None,
    now: datetime,
) -> TokenSet:
    """Trade the authorization code (RFC 6749 section 4.1.3), then a Meta short-lived token
    for a long-lived one at once."""
    exchange.hide(code, verifier, app.client_secret)
    fields = {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri}
    if provider.exchange_method == "GET":  # the Graph API's manual flow takes no grant_type
        del fields["grant_type"]
    if verifier:
        fields["code_verifier"] = verifier
    if provider.per_instance:
        fields["scope"] = " ".join(provider.scopes)
    tokens = token_set(_token_call(exchange, provider, base_url, app, fields), now)
    exchange.hide(tokens.access_token, tokens.refresh_token)
    if provider.long_lived_grant:
        tokens = _long_lived(exchange, provider, app, tokens, now)
    return tokens


def _long_lived(
    exchange: Exchange, provider: OAuthProvider, app: OAuthApp, short: TokenSet, now: datetime
) -> TokenSet:
    params = {"grant_type": provider.long_lived_grant, "client_secret": app.client_secret}
    if provider.long_lived_grant == "fb_exchange_token":
        params |= {"client_id": app.client_id, "fb_exchange_token": short.access_token}
    else:  # th_exchange_token
        params["access_token"] = short.access_token
    long = token_set(exchange.call("GET", provider.long_lived_url, params=params), now)
    exchange.hide(long.access_token)
    return TokenSet(long.access_token, None, long.expires_at, short.scope, short.user_id)


def refresh(
    exchange: Exchange,
    provider: OAuthProvider,
    base_url: str | None,
    app: OAuthApp | None,
    *,
    access_token: str,
    refresh_token: str | None,
    now: datetime,
) -> TokenSet:
    """A new token before the old one ends: RFC 6749 section 6, or Threads' own refresh."""
    exchange.hide(access_token, refresh_token)
    if provider.refresh_url:  # Threads: the long-lived token refreshes itself
        params = {"grant_type": "th_refresh_token", "access_token": access_token}
        tokens = token_set(exchange.call("GET", provider.refresh_url, params=params), now)
    else:
        if app is None or not refresh_token:
            raise GrantRefused("no refresh token was granted: the account must be reconnected")
        exchange.hide(app.client_secret)
        fields = {"grant_type": "refresh_token", "refresh_token": refresh_token}
        body = _token_call(exchange, provider, base_url, app, fields)
        tokens = token_set(body, now, fallback_refresh=refresh_token)
    exchange.hide(tokens.access_token, tokens.refresh_token)
    return tokens


def choices(exchange: Exchange, provider: OAuthProvider, token: str) -> list[Choice]:
    """What the consent lets the admin connect, for providers that ask them to pick."""
    if provider.pick == Pick.ORGANIZATION:
        return _linkedin_organizations(exchange, provider, token)
    if provider.pick in (Pick.PAGE, Pick.INSTAGRAM):
        return _meta_pages(exchange, provider, token)
    return []


def _linkedin_organizations(
    exchange: Exchange, provider: OAuthProvider, token: str
) -> list[Choice]:
    """``GET /rest/organizationAcls?q=roleAssignee``: the organisations the member administers,
    then ``GET /rest/organizations/{id}`` for each one's ``localizedName``."""
    headers = {
        "Authorization": f"Bearer {token}",
        "LinkedIn-Version": LINKEDIN_VERSION,
        "X-Restli-Protocol-Version": "2.0.0",
    }
    body = exchange.call(
        "GET",
        f"{provider.api_url}/rest/organizationAcls",
        params={"q": "roleAssignee", "role": "ADMINISTRATOR", "state": "APPROVED"},
        headers=headers,
    )
    out = []
    for element in _list(body, "elements")[:MAX_CHOICES]:
        urn = element.get("organization")
        if not isinstance(urn, str) or not urn.startswith("urn:li:organization:"):
            continue
        org_id = urn.rsplit(":", 1)[1]
        org = exchange.call(
            "GET", f"{provider.api_url}/rest/organizations/{org_id}", headers=headers
        )
        name = org.get("localizedName")
        out.append(Choice(org_id, name if isinstance(name, str) and name else urn))
    return out


def _meta_pages(exchange: Exchange, provider: OAuthProvider, token: str) -> list[Choice]:
    """``GET /me/accounts``: the Pages the user manages, each with its Page token; for
    Instagram, the professional account linked to each Page."""
    fields = "id,name,access_token"
    if provider.pick == Pick.INSTAGRAM:
        fields += ",instagram_business_account{id,username}"
    body = exchange.call(
        "GET", f"{provider.api_url}/me/accounts", params={"fields": fields, "access_token": token}
    )
    out = []
    for page in _list(body, "data")[:MAX_CHOICES]:
        page_id, name, page_token = page.get("id"), page.get("name"), page.get("access_token")
        if not isinstance(page_id, str) or not isinstance(page_token, str):
            continue
        exchange.hide(page_token)
        if provider.pick == Pick.PAGE:
            out.append(Choice(page_id, str(name or page_id), page_token))
            continue
        linked = page.get("instagram_business_account")
        if isinstance(linked, dict) and isinstance(linked.get("id"), str):
            label = f"@{linked.get('username') or linked['id']} ({name or page_id})"
            out.append(Choice(linked["id"], label, page_token))
    return out


def _list(body: Mapping[str, Any], key: str) -> list[dict[str, Any]]:
    value = body.get(key)
    if not isinstance(value, list):
        raise ServerUnavailable(f"the answer has no {key} list")
    return [item for item in value if isinstance(item, dict)]
