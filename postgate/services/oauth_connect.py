"""Connecting an account with the platform's own consent screen (OAuth 2.0 code flow).

:func:`start` checks what the admin asked for, registers Postgate on a Mastodon server when
the platform needs it, and remembers the consent in an :class:`OAuthFlow` row: the SHA-256
of a random ``state``, the admin's session, a PKCE verifier (encrypted) and an expiry of
``[oauth] state_seconds``. :func:`callback` takes that row once, and only from the session
that started it: a replayed state, a state from another session, a forged or missing one and
an expired one are each refused with a 4xx, and audited (``account:connect-refused``). A
platform that answers ``error=access_denied`` uses the flow up as well. The code is then traded
for tokens; where the admin must still pick a Page or an organisation the tokens wait,
encrypted, in the flow until :func:`choose`. Finally the account is created, or reconnected
(any ``disconnected`` or ``compromised`` account back to ``active``) through the accounts
service, which verifies the credentials with the platform. Connecting is audited
(``account:connect``) without any token; the admin's role and fresh 2FA are checked by the
views before :func:`start`.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from postgate.audit import Event
from postgate.errors import (
    Conflict,
    ConsentRefused,
    Forbidden,
    MalformedRequest,
    PlatformUnavailable,
    PostgateError,
    ValidationFailed,
)
from postgate.oauth import client
from postgate.oauth.config import OAuthApp, app_for
from postgate.oauth.pkce import make_verifier, s256_challenge
from postgate.oauth.providers import PROVIDERS, OAuthProvider, Pick, provider
from postgate.platforms.registry import PLATFORMS
from postgate.runtime import Runtime
from postgate.services import accounts, oauth_flows
from postgate.services.credentials import check_destination, url_policy
from postgate.services.names import canonical_name
from postgate.store.db import rows_changed
from postgate.store.models import Account, AuthToken, OAuthFlow, User
from postgate.store.types import utcnow

CALLBACK_PATH = "/admin/oauth/callback"


@dataclass(frozen=True)
class ConnectRequest:
    """What the admin asked for: a new account (with its settings) or a reconnection."""

    platform: str
    name: str
    base_url: str | None = None
    timezone: str = "UTC"
    windows: Sequence[str] = ()
    blackout_dates: Sequence[str] = ()
    approvals_required: int = 1
    reconnect: bool = False


@dataclass(frozen=True)
class Outcome:
    """Where a callback or a choice leaves the flow: connected, or a pick to make."""

    account: str
    platform: str
    connected: bool
    flow_id: int | None = None
    choices: list[dict[str, str]] = field(default_factory=list)


def _provider(rt: Runtime, platform: str) -> OAuthProvider:
    found = provider(platform)
    if found is None or platform not in PLATFORMS:
        raise ValidationFailed(
            "{platform} accounts cannot be connected with the platform's consent screen",
            field="platform",
            platform=platform,
        )
    return found.with_urls(dict(rt.settings.oauth_endpoints.get(platform, {})))


def _checked(rt: Runtime, db: Session, req: ConnectRequest) -> ConnectRequest:
    """Refuse at once what would fail after the consent (name, settings, existing account)."""
    name = canonical_name(req.name)
    if req.reconnect:
        account = accounts.find_account(db, name, field="name")
        if account.platform != req.platform:
            raise ValidationFailed(
                "account {name!r} is on {platform}",
                field="platform",
                name=name,
                platform=account.platform,
            )
        return ConnectRequest(req.platform, name, account.base_url, reconnect=True)
    if not accounts.ACCOUNT_NAME.match(name):
        raise ValidationFailed(
            "an account name is 2 to 64 characters: lower-case letters, digits, '.', '_' or '-'",
            field="name",
        )
    if db.scalar(select(Account.id).where(Account.name == name)) is not None:
        raise Conflict("an account named {name!r} exists already", field="name", name=name)
    if not 1 <= int(req.approvals_required) <= 5:
        raise ValidationFailed("approvals required must be between 1 and 5", field="approvals")
    return ConnectRequest(
        req.platform,
        name,
        req.base_url,
        accounts.validate_timezone(req.timezone),
        accounts.validate_windows(req.windows),
        accounts.validate_blackouts(req.blackout_dates),
        int(req.approvals_required),
    )


def _base_url(rt: Runtime, prov: OAuthProvider, req: ConnectRequest) -> str | None:
    """The server the account lives on: the Mastodon server named, else the platform's API
    (None: the connector's default), unless the settings point it elsewhere."""
    if not prov.per_instance:
        default = PROVIDERS[prov.platform].api_url
        if prov.api_url == default:
            return None
        check_destination(rt, req.platform, prov.api_url, "base_url")
        return prov.api_url
    base = (req.base_url or "").strip().rstrip("/")
    if not base and PLATFORMS[req.platform].local:
        base = rt.settings.sandbox_url
    if not base:
        raise ValidationFailed(
            "{platform} accounts need the server's address (--base-url)",
            field="base_url",
            platform=req.platform,
        )
    check_destination(rt, req.platform, base, "base_url")
    return base


def _app(rt: Runtime, prov: OAuthProvider, base_url: str | None, redirect_uri: str) -> OAuthApp:
    """Postgate's app: registered now on a Mastodon server, else from the settings."""
    if prov.per_instance:
        assert base_url is not None
        with client.Exchange(url_policy(rt, prov.platform)) as exchange:
            try:
                return client.register_app(
                    exchange,
                    base_url,
                    redirect_uri,
                    " ".join(prov.scopes),
                    rt.settings.public_url or "",
                )
            except client.OAuthFailure as exc:
                raise PlatformUnavailable(
                    "could not register Postgate on {url}: {detail}",
                    field="base_url",
                    url=base_url,
                    detail=exc.message,
                ) from None
    app = app_for(rt.settings, prov.platform)
    if app is None:
        raise ValidationFailed(
            "no {platform} app is configured: set POSTGATE_{upper}_APP_ID and "
            "POSTGATE_{upper}_APP_SECRET (docs/oauth.md)",
            field="platform",
            platform=prov.platform,
            upper=prov.platform.upper(),
        )
    return app


def start(
    rt: Runtime,
    db: Session,
    user: User,
    session: AuthToken | None,
    req: ConnectRequest,
    redirect_uri: str,
    *,
    source: str = "",
) -> str:
    """Remember a new consent and return the platform's authorization URL to send the admin to."""
    if session is None:
        raise Forbidden("connecting an account needs a signed-in browser session")
    prov = _provider(rt, req.platform)
    req = _checked(rt, db, req)
    base_url = _base_url(rt, prov, req)
    app = _app(rt, prov, base_url, redirect_uri)
    state = secrets.token_urlsafe(32)
    verifier = make_verifier() if prov.pkce else None
    now = utcnow()
    db.add(
        OAuthFlow(
            state_hash=oauth_flows.state_hash(state),
            platform=req.platform,
            user_id=user.id,
            session_id=session.id,
            account_name=req.name,
            reconnect=req.reconnect,
            base_url=base_url,
            redirect_uri=redirect_uri,
            request=_settings_of(req),
            secrets_enc=rt.vault.encrypt_json(
                {
                    "verifier": verifier,
                    "client_id": app.client_id,
                    "client_secret": app.client_secret,
                }
            ),
            created_at=now,
            expires_at=now + timedelta(seconds=rt.settings.oauth_state_seconds),
        )
    )
    rt.audit(
        db,
        Event.ACCOUNT_CONNECT,
        actor=user.username,
        target=f"account:{req.name}",
        source=source,
        details={"platform": req.platform, "phase": "consent", "reconnect": req.reconnect},
    )
    challenge = s256_challenge(verifier) if verifier else None
    return client.authorization_url(prov, base_url, app, redirect_uri, state, challenge)


def _settings_of(req: ConnectRequest) -> dict[str, Any]:
    return {
        "timezone": req.timezone,
        "windows": list(req.windows),
        "blackout_dates": list(req.blackout_dates),
        "approvals_required": req.approvals_required,
    }


def callback(
    rt: Runtime,
    user: User,
    session: AuthToken | None,
    params: dict[str, str],
    *,
    source: str = "",
) -> Outcome:
    """Handle the platform's redirect (RFC 6749 section 4.1.2): the code, or its error."""
    state = (params.get("state") or "").strip()
    if session is None or not state:
        oauth_flows.refuse(rt, user, "no state", source)
        raise MalformedRequest("the platform's answer has no state", field="state")
    flow = oauth_flows.take(rt, user, session, state, source)
    prov = _provider(rt, flow.platform)
    if params.get("error"):
        error = params["error"][:64]
        oauth_flows.refuse(
            rt, user, f"platform answered {error}", source, f"account:{flow.account_name}"
        )
        raise ConsentRefused(
            "the platform did not grant access ({error}): nothing was connected",
            field="code",
            error=error,
        )
    code = (params.get("code") or "").strip()
    if not code:
        oauth_flows.refuse(rt, user, "no code", source, f"account:{flow.account_name}")
        raise MalformedRequest("the platform's answer has no code", field="code")
    stash = rt.vault.decrypt_json(flow.secrets_enc)
    app = OAuthApp(stash["client_id"], stash["client_secret"])
    with client.Exchange(url_policy(rt, flow.platform)) as exchange:
        try:
            tokens = client.exchange_code(
                exchange,
                prov,
                flow.base_url,
                app,
                code=code,
                redirect_uri=flow.redirect_uri,
                verifier=stash.get("verifier"),
                now=utcnow(),
            )
            picks = client.choices(exchange, prov, tokens.access_token)
        except client.OAuthFailure as exc:
            oauth_flows.refuse(rt, user, exc.message, source, f"account:{flow.account_name}")
            raise _failure(exc) from None
    if prov.pick == Pick.NONE:
        return _finish(rt, user, flow, prov, app, tokens, None, source)
    return _await_choice(rt, flow, tokens, picks)


def _failure(exc: client.OAuthFailure) -> PostgateError:
    if isinstance(exc, client.GrantRefused):
        return ConsentRefused(
            "the platform refused the authorization: {detail}", field="code", detail=exc.message
        )
    return PlatformUnavailable("the platform could not be reached: {detail}", detail=exc.message)


def _await_choice(
    rt: Runtime, flow: OAuthFlow, tokens: client.TokenSet, picks: list[client.Choice]
) -> Outcome:
    """Keep the tokens (encrypted) in the flow while the admin picks a Page or organisation."""
    if not picks and flow.platform == "linkedin":
        raise ConsentRefused("the consent gives access to no organisation to connect", field="code")
    if not picks:
        raise ConsentRefused("the consent gives access to no page to connect", field="code")
    stash = rt.vault.decrypt_json(flow.secrets_enc) | {
        "access_token": tokens.access_token,
        "refresh_token": tokens.refresh_token,
        "expires_at": tokens.expires_at.isoformat() if tokens.expires_at else None,
        "scope": tokens.scope,
        "choice_tokens": {p.id: p.token for p in picks if p.token},
    }
    shown = [{"id": p.id, "name": p.name} for p in picks]
    with rt.store.transaction() as db:
        db.execute(
            update(OAuthFlow)
            .where(OAuthFlow.id == flow.id)
            .values(secrets_enc=rt.vault.encrypt_json(stash), choices=shown)
        )
    return Outcome(flow.account_name, flow.platform, False, flow.id, shown)


def pending_choice(rt: Runtime, session: AuthToken | None, flow_id: int) -> Outcome:
    """A flow waiting for its pick, as this session may see it (404 otherwise)."""
    flow = oauth_flows.waiting_flow(rt, session, flow_id)
    return Outcome(flow.account_name, flow.platform, False, flow.id, list(flow.choices or []))


def choose(
    rt: Runtime,
    user: User,
    session: AuthToken | None,
    flow_id: int,
    choice: str,
    *,
    source: str = "",
) -> Outcome:
    """Connect the Page or organisation the admin picked from a flow of this session."""
    flow = oauth_flows.waiting_flow(rt, session, flow_id)
    if choice not in {c["id"] for c in flow.choices or []}:
        raise ValidationFailed("choose one of the offered pages or organisations", field="choice")
    prov = _provider(rt, flow.platform)
    stash = rt.vault.decrypt_json(flow.secrets_enc)
    expires = stash.get("expires_at")
    tokens = client.TokenSet(
        stash["access_token"],
        stash.get("refresh_token"),
        datetime.fromisoformat(expires) if expires else None,
        stash.get("scope") or "",
    )
    picked = client.Choice(choice, "", (stash.get("choice_tokens") or {}).get(choice))
    app = OAuthApp(stash["client_id"], stash["client_secret"])
    return _finish(rt, user, flow, prov, app, tokens, picked, source)


def credentials_for(
    prov: OAuthProvider, app: OAuthApp, tokens: client.TokenSet, picked: client.Choice | None
) -> dict[str, str]:
    """The connector's credential fields (docs/platforms.md): the token, the picked target (and
    its own Page token where the connector posts with it), the app's pair where revoking needs
    it, and when the token ends and how to refresh it."""
    creds = {prov.credential_field: tokens.access_token}
    if picked and picked.token and prov.choice_token_field:
        creds[prov.choice_token_field] = picked.token
    target = picked.id if picked else tokens.user_id
    if prov.target_field and target:
        creds[prov.target_field] = target
    if prov.keep_client:
        creds |= {"client_id": app.client_id, "client_secret": app.client_secret}
    if tokens.refresh_token:
        creds["refresh_token"] = tokens.refresh_token
    if tokens.expires_at and prov.keeps_expiry:
        creds["expires_at"] = tokens.expires_at.astimezone(UTC).isoformat()
    return creds


def _finish(
    rt: Runtime,
    user: User,
    flow: OAuthFlow,
    prov: OAuthProvider,
    app: OAuthApp,
    tokens: client.TokenSet,
    picked: client.Choice | None,
    source: str,
) -> Outcome:
    """Create or reconnect the account, in one transaction with the flow's end."""
    creds = json.dumps(credentials_for(prov, app, tokens, picked))
    with rt.store.transaction() as db:
        done = rows_changed(
            db,
            update(OAuthFlow)
            .where(OAuthFlow.id == flow.id, OAuthFlow.finished_at.is_(None))
            .values(finished_at=utcnow(), choices=None, secrets_enc=rt.vault.encrypt_json({}))
            .execution_options(synchronize_session=False),
        )
        if done != 1:
            raise Conflict("this consent was used already; start again", field="state")
        actor = db.get(User, user.id)
        assert actor is not None
        account = _store(rt, db, flow, creds, actor.username, source)
        rt.audit(
            db,
            Event.ACCOUNT_CONNECT,
            actor=actor.username,
            target=f"account:{account.name}",
            source=source,
            details={
                "platform": flow.platform,
                "phase": "connected",
                "reconnect": flow.reconnect,
                "scope": tokens.scope,
                "expires_at": account.token_expires_at.isoformat()
                if account.token_expires_at
                else None,
                "refreshable": bool(tokens.refresh_token) or bool(prov.refresh_url),
                "target": picked.id if picked else None,
            },
        )
        name, platform = account.name, account.platform
    return Outcome(name, platform, True)


def _store(
    rt: Runtime, db: Session, flow: OAuthFlow, creds: str, actor: str, source: str
) -> Account:
    if flow.reconnect:
        return accounts.replace_credentials(
            rt, db, flow.account_name, creds, actor=actor, source=source
        )
    settings = flow.request or {}
    return accounts.add_account(
        rt,
        db,
        flow.account_name,
        flow.platform,
        base_url=flow.base_url,
        secret=creds,
        timezone=settings.get("timezone", "UTC"),
        windows=settings.get("windows", []),
        blackout_dates=settings.get("blackout_dates", []),
        approvals_required=settings.get("approvals_required", 1),
        actor=actor,
        source=source,
    )
