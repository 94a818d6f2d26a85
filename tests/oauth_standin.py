"""A local stand-in for the authorization servers of X, LinkedIn, Meta (Facebook Login, for
Facebook Pages and Instagram) and Threads, shaped like each one's documented endpoints and
answers, so Postgate's connect flow is tested up to the point where the real platform would
answer. The consent screen itself is the platform's: the stand-in's authorize endpoints record
what Postgate asked for and send the browser straight back with a code (or, when the test
says so, with ``error=access_denied``).

Documentation each route follows:

- X: https://docs.x.com/fundamentals/authentication/oauth-2-0/user-access-token (authorize
  URL with ``code_challenge``/``S256``; ``POST /2/oauth2/token`` with HTTP Basic for a
  confidential client, answering ``token_type``, ``expires_in`` 7200, ``access_token``,
  ``scope``, ``refresh_token``); https://docs.x.com/fundamentals/authentication/oauth-2-0/authorization-code
  (refresh with ``grant_type=refresh_token``; a refresh token is used once);
  ``GET /2/users/me`` as https://docs.x.com/x-api/users/user-lookup-me.
- LinkedIn: https://learn.microsoft.com/en-us/linkedin/shared/authentication/authorization-code-flow
  (``POST /oauth/v2/accessToken`` with ``client_id``/``client_secret`` in the form, answering
  ``access_token``, ``expires_in`` 5184000, ``refresh_token``, ``refresh_token_expires_in``,
  ``scope``); https://learn.microsoft.com/en-us/linkedin/marketing/community-management/organizations/organization-access-control-by-role
  (``GET /rest/organizationAcls?q=roleAssignee``) and ``GET /rest/organizations/{id}``
  (``localizedName``).
- Meta: https://developers.facebook.com/docs/facebook-login/guides/advanced/manual-flow
  (``GET /v25.0/oauth/access_token`` with the code), .../access-tokens/get-long-lived
  (``grant_type=fb_exchange_token``), https://developers.facebook.com/docs/graph-api/reference/user/accounts/
  (``GET /me/accounts``: ``data[]`` of ``{access_token, category, name, id, tasks}``, with
  ``instagram_business_account`` when asked for). Errors: ``{"error": {"message", "type":
  "OAuthException", "code"}}``.
- Threads: https://developers.facebook.com/documentation/threads/get-started/get-access-tokens-and-permissions
  (``POST /oauth/access_token`` answering ``access_token`` and ``user_id``) and
  https://developers.facebook.com/docs/threads/get-started/long-lived-tokens/
  (``GET /access_token?grant_type=th_exchange_token`` and
  ``GET /refresh_access_token?grant_type=th_refresh_token``, answering ``access_token``,
  ``token_type``, ``expires_in``).
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from flask import Flask, jsonify, redirect, request
from werkzeug.serving import make_server

from tests.conftest import _free_port

CLIENT_ID, CLIENT_SECRET = "standin-app-id", "standin-app-secret"
X_USER = {"id": "2244994945", "name": "Acme", "username": "acme_x"}
LINKEDIN_ORGS = {"2414183": "Acme Corporation", "5515715": "Acme Labs"}
PAGES = [
    {"id": "101", "name": "Acme Page", "ig": {"id": "17841400000000001", "username": "acme.ig"}},
    {"id": "102", "name": "Acme Outlet", "ig": None},
]
THREADS_USER = "7654321"
LINKEDIN_BAD_CODE = (
    "Unable to retrieve access token: appid/redirect uri/code verifier does not match "
    "authorization code. Or authorization code expired. Or external member binding exists"
)


AUTHORIZE_PATHS = (
    "/i/oauth2/authorize",
    "/oauth/v2/authorization",
    "/v25.0/dialog/oauth",
    "/oauth/authorize",
)


@dataclass
class StandIn:
    """What the stand-in saw and holds, for the tests to read and steer."""

    url: str = ""
    authorize_requests: list[dict[str, str]] = field(default_factory=list)
    token_requests: list[dict[str, str]] = field(default_factory=list)
    codes: dict[str, dict[str, str]] = field(default_factory=dict)
    access_tokens: set[str] = field(default_factory=set)
    refresh_tokens: set[str] = field(default_factory=set)
    deny_next: bool = False
    down: bool = False  # the token endpoint answers 503

    def last_authorize(self) -> dict[str, str]:
        return self.authorize_requests[-1]

    def new_token(self, prefix: str) -> str:
        token = f"{prefix}-{secrets.token_urlsafe(16)}"
        self.access_tokens.add(token)
        return token


def _challenge(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode()).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def create_standin(state: StandIn) -> Flask:
    app = Flask("oauth-standin")

    def authorize() -> Any:
        params = request.args.to_dict()
        state.authorize_requests.append(params)
        back = params.get("redirect_uri", "")
        if state.deny_next:
            state.deny_next = False
            query = {
                "error": "access_denied",
                "error_description": "denied",
                "state": params["state"],
            }
            return redirect(f"{back}?{urlencode(query)}")
        code = secrets.token_urlsafe(16)
        state.codes[code] = params
        return redirect(f"{back}?{urlencode({'code': code, 'state': params.get('state', '')})}")

    for path in AUTHORIZE_PATHS:
        app.add_url_rule(path, path, authorize)

    def take_code(form: dict[str, str]) -> dict[str, str] | None:
        asked = state.codes.pop(form.get("code", ""), None)
        if asked is None or asked.get("redirect_uri") != form.get("redirect_uri"):
            return None
        challenge = asked.get("code_challenge")
        if challenge and _challenge(form.get("code_verifier", "")) != challenge:
            return None
        return asked

    def oauth_error(status: int, error: str, description: str) -> Any:
        return jsonify({"error": error, "error_description": description}), status

    @app.post("/2/oauth2/token")
    def x_token() -> Any:
        form = request.form.to_dict()
        state.token_requests.append(form)
        if state.down:
            return jsonify({"title": "Service Unavailable"}), 503
        auth = request.authorization
        if auth is None or (auth.username, auth.password) != (CLIENT_ID, CLIENT_SECRET):
            return oauth_error(401, "unauthorized_client", "Missing valid authorization header")
        if form.get("grant_type") == "refresh_token":
            if form.get("refresh_token") not in state.refresh_tokens:
                return oauth_error(
                    400, "invalid_request", "Value passed for the token was invalid."
                )
            state.refresh_tokens.discard(form["refresh_token"])  # one use: rotated
        elif form.get("grant_type") != "authorization_code" or take_code(form) is None:
            return oauth_error(400, "invalid_request", "Value passed for the token was invalid.")
        refresh = f"xr-{secrets.token_urlsafe(16)}"
        state.refresh_tokens.add(refresh)
        return jsonify(
            {
                "token_type": "bearer",
                "expires_in": 7200,
                "access_token": state.new_token("xa"),
                "scope": "tweet.read tweet.write users.read media.write offline.access",
                "refresh_token": refresh,
            }
        )

    @app.get("/2/users/me")
    def x_me() -> Any:
        token = request.headers.get("Authorization", "").removeprefix("Bearer ")
        if token not in state.access_tokens:
            return jsonify(
                {
                    "title": "Unauthorized",
                    "type": "about:blank",
                    "status": 401,
                    "detail": "Unauthorized",
                }
            ), 401
        return jsonify({"data": X_USER})

    @app.post("/oauth/v2/accessToken")
    def linkedin_token() -> Any:
        form = request.form.to_dict()
        state.token_requests.append(form)
        if (form.get("client_id"), form.get("client_secret")) != (CLIENT_ID, CLIENT_SECRET):
            return oauth_error(401, "invalid_client", "Client authentication failed")
        if form.get("grant_type") == "refresh_token":
            if form.get("refresh_token") not in state.refresh_tokens:
                return oauth_error(400, "invalid_grant", "The provided refresh token is invalid")
        elif take_code(form) is None:
            return oauth_error(400, "invalid_request", LINKEDIN_BAD_CODE)
        refresh = f"lr-{secrets.token_urlsafe(16)}"
        state.refresh_tokens.add(refresh)
        return jsonify(
            {
                "access_token": state.new_token("la"),
                "expires_in": 5184000,
                "refresh_token": refresh,
                "refresh_token_expires_in": 31536000,
                "scope": "r_organization_social,rw_organization_admin,w_organization_social",
            }
        )

    def bearer_ok() -> bool:
        return (
            request.headers.get("Authorization", "").removeprefix("Bearer ") in state.access_tokens
        )

    @app.get("/rest/organizationAcls")
    def linkedin_acls() -> Any:
        if not bearer_ok() or request.headers.get("LinkedIn-Version") is None:
            return jsonify(
                {
                    "status": 401,
                    "serviceErrorCode": 65600,
                    "code": "INVALID_ACCESS_TOKEN",
                    "message": "Invalid access token",
                }
            ), 401
        elements = [
            {
                "roleAssignee": "urn:li:person:8675309",
                "state": "APPROVED",
                "role": "ADMINISTRATOR",
                "organization": f"urn:li:organization:{org}",
            }
            for org in LINKEDIN_ORGS
        ]
        return jsonify({"paging": {"start": 0, "count": 10, "links": []}, "elements": elements})

    @app.get("/rest/organizations/<org_id>")
    def linkedin_org(org_id: str) -> Any:
        if not bearer_ok():
            return jsonify({"status": 401, "code": "INVALID_ACCESS_TOKEN"}), 401
        return jsonify(
            {"id": int(org_id), "localizedName": LINKEDIN_ORGS[org_id], "vanityName": "acme"}
        )

    def graph_error(message: str, code: int = 190) -> Any:
        return jsonify(
            {
                "error": {
                    "message": message,
                    "type": "OAuthException",
                    "code": code,
                    "fbtrace_id": "AbCdEf",
                }
            }
        ), 400

    @app.get("/v25.0/oauth/access_token")
    def meta_token() -> Any:
        args = request.args.to_dict()
        state.token_requests.append(args)
        if (args.get("client_id"), args.get("client_secret")) != (CLIENT_ID, CLIENT_SECRET):
            return graph_error("Error validating client secret.", 1)
        if args.get("grant_type") == "fb_exchange_token":
            if args.get("fb_exchange_token") not in state.access_tokens:
                return graph_error("Invalid OAuth access token.")
            return jsonify(
                {
                    "access_token": state.new_token("fl"),
                    "token_type": "bearer",
                    "expires_in": 5183944,
                }
            )
        if take_code(args) is None:
            return graph_error("This authorization code has been used.", 100)
        return jsonify(
            {"access_token": state.new_token("fs"), "token_type": "bearer", "expires_in": 5400}
        )

    @app.get("/v25.0/me/accounts")
    def meta_pages() -> Any:
        if request.args.get("access_token") not in state.access_tokens:
            return graph_error("Invalid OAuth access token.")
        with_ig = "instagram_business_account" in request.args.get("fields", "")
        data = []
        for page in PAGES:
            entry: dict[str, Any] = {
                "access_token": f"page-token-{page['id']}",
                "category": "Brand",
                "name": page["name"],
                "id": page["id"],
                "tasks": ["ANALYZE", "ADVERTISE", "MODERATE", "CREATE_CONTENT", "MANAGE"],
            }
            if with_ig and page["ig"]:
                entry["instagram_business_account"] = page["ig"]
            data.append(entry)
        return jsonify({"data": data, "paging": {"cursors": {"before": "QVFI", "after": "QVFJ"}}})

    @app.post("/oauth/access_token")
    def threads_token() -> Any:
        form = request.form.to_dict()
        state.token_requests.append(form)
        if (form.get("client_id"), form.get("client_secret")) != (CLIENT_ID, CLIENT_SECRET):
            return graph_error("Error validating client secret.", 1)
        if form.get("grant_type") != "authorization_code" or take_code(form) is None:
            return graph_error("Invalid authorization code", 100)
        return jsonify({"access_token": state.new_token("ts"), "user_id": int(THREADS_USER)})

    @app.get("/access_token")
    def threads_long_lived() -> Any:
        args = request.args.to_dict()
        if (
            args.get("grant_type") != "th_exchange_token"
            or args.get("access_token") not in state.access_tokens
        ):
            return graph_error("Invalid OAuth access token.")
        return jsonify(
            {"access_token": state.new_token("tl"), "token_type": "bearer", "expires_in": 5183944}
        )

    def token_ok() -> bool:
        return request.args.get("access_token") in state.access_tokens or bearer_ok()

    @app.get("/v1.0/<user>")
    def threads_profile(user: str) -> Any:
        """https://developers.facebook.com/docs/threads/threads-profiles: the connector
        verifies the profile it acts as."""
        if not token_ok() or user not in ("me", THREADS_USER):
            return graph_error("Invalid OAuth access token.")
        return jsonify({"id": THREADS_USER, "username": "acme.threads"})

    @app.get("/v25.0/<node>")
    def graph_node(node: str) -> Any:
        """A Page (``GET /{page-id}?fields=id,name,link,access_token``) or an Instagram
        professional account (``GET /{ig-user-id}?fields=id,username,media_count``), as the
        connectors verify them."""
        if not token_ok():
            return graph_error("Invalid OAuth access token.")
        for page in PAGES:
            if node == page["id"]:
                return jsonify(
                    {
                        "id": page["id"],
                        "name": page["name"],
                        "link": f"https://www.facebook.com/{page['id']}",
                        "access_token": f"page-token-{page['id']}",
                    }
                )
            if page["ig"] and node == page["ig"]["id"]:
                return jsonify({**page["ig"], "media_count": 0})
        return graph_error("Unsupported get request.", 100)

    @app.get("/refresh_access_token")
    def threads_refresh() -> Any:
        args = request.args.to_dict()
        state.token_requests.append(args)
        if (
            args.get("grant_type") != "th_refresh_token"
            or args.get("access_token") not in state.access_tokens
        ):
            return graph_error("Session has expired.")
        return jsonify(
            {"access_token": state.new_token("tl"), "token_type": "bearer", "expires_in": 5183944}
        )

    return app


@contextmanager
def running_standin() -> Iterator[StandIn]:
    """The stand-in on a free loopback port, in a thread, for the test's duration."""
    state = StandIn()
    port = _free_port()
    server = make_server("127.0.0.1", port, create_standin(state), threaded=True)
    state.url = f"http://127.0.0.1:{port}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()


def standin_settings(url: str) -> str:
    """The ``[oauth.<platform>]`` and ``[platforms.<platform>]`` tables that point every
    provider at the stand-in, and let Postgate reach it on loopback."""
    endpoints = {
        "x": {
            "authorize_url": "/i/oauth2/authorize",
            "token_url": "/2/oauth2/token",
            "api_url": "",
        },
        "linkedin": {
            "authorize_url": "/oauth/v2/authorization",
            "token_url": "/oauth/v2/accessToken",
            "api_url": "",
        },
        "facebook": {
            "authorize_url": "/v25.0/dialog/oauth",
            "token_url": "/v25.0/oauth/access_token",
            "long_lived_url": "/v25.0/oauth/access_token",
            "api_url": "/v25.0",
        },
        "instagram": {
            "authorize_url": "/v25.0/dialog/oauth",
            "token_url": "/v25.0/oauth/access_token",
            "long_lived_url": "/v25.0/oauth/access_token",
            "api_url": "/v25.0",
        },
        "threads": {
            "authorize_url": "/oauth/authorize",
            "token_url": "/oauth/access_token",
            "long_lived_url": "/access_token",
            "refresh_url": "/refresh_access_token",
            "api_url": "/v1.0",
        },
    }
    lines = []
    for name, urls in endpoints.items():
        lines.append(f"[oauth.{name}]")
        lines += [f'{key} = "{url}{path}"' for key, path in urls.items()]
        if name != "instagram":  # Instagram goes through Facebook's (Meta's) app
            lines.append(f"[platforms.{name}]")
            lines += [f'app_id = "{CLIENT_ID}"', f'app_secret = "{CLIENT_SECRET}"']
    return "\n".join(lines) + "\n"
