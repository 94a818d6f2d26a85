"""An account's platform credentials: read from what an admin typed, verified with the
platform, stored encrypted, and decrypted only to build a connector for one call.

What a platform needs comes from its spec in :mod:`postgate.platforms.registry`: the
credential fields, which one a bare token stands for, and, for the local sandbox, where it
listens and how it issues a token. No secret ever appears in an error (invariant 9). Every
address the credentials lead to (a server, a webhook's target) is checked when they are
entered and again on every request (:mod:`postgate.urlguard`).
"""

from __future__ import annotations

import json
from typing import Any

import httpx

from postgate.budget import Budget, PacedTransport, Priority, quotas_for
from postgate.call_gate import GatedTransport, PublishGate
from postgate.errors import ValidationFailed
from postgate.platforms.base import AccountInfo, Connector, ConnectorError, CredentialsError
from postgate.platforms.registry import connector_for, platform_spec
from postgate.platforms.spec import PlatformSpec
from postgate.runtime import Runtime
from postgate.services.platform_sessions import RedisSessionStore
from postgate.store.models import Account
from postgate.urlguard import GuardedTransport, UrlPolicy, URLRefused, checked_address


def resolve_credentials(
    rt: Runtime, name: str, platform: str, base_url: str | None, secret: str | None
) -> tuple[str | None, dict[str, str]]:
    """Turn what the admin typed into the platform's credential fields.

    A JSON object gives every field; a bare string is the platform's main token. For the
    sandbox, an absent token is issued by the local sandbox platform for the account's name.
    """
    spec = platform_spec(platform)
    if spec.local:
        base_url = base_url or rt.settings.sandbox_url
    if spec.needs_base_url and not base_url:
        raise ValidationFailed(
            "{platform} accounts need the server's address (--base-url)",
            field="base_url",
            platform=platform,
        )
    check_destination(rt, platform, base_url, "base_url")
    if spec.local and not secret and spec.issue_credentials is not None:
        assert base_url is not None
        secret = json.dumps(_issued_credentials(spec, base_url, name))
    if not secret:
        raise ValidationFailed(
            "{platform} accounts need credentials (--token-stdin)", field="token", platform=platform
        )
    credentials = _parse(spec, secret.strip())
    missing = spec.missing_credentials(credentials)
    if missing:
        raise ValidationFailed(
            "{platform} credentials need {names}",
            field="token",
            platform=platform,
            names=", ".join(missing),
        )
    check_destination(rt, platform, credentials.get("url"), "token")  # a webhook's target
    return base_url, credentials


def url_policy(rt: Runtime, platform: str) -> UrlPolicy:
    """Which non-public addresses this platform's requests may reach (``postgate.urlguard``)."""
    return UrlPolicy.for_platform(rt.settings.allow_private_urls, platform)


def check_destination(rt: Runtime, platform: str, url: object, field: str) -> None:
    """Connect time: refuse a URL that leads to a private, loopback or link-local address,
    unless ``allow_private_urls`` lists it; each request is checked again when sent."""
    if not url:
        return
    try:
        checked_address(url_policy(rt, platform), str(url))
    except URLRefused as exc:
        raise ValidationFailed(
            "the address is refused: {detail}", field=field, detail=str(exc)
        ) from None


def _issued_credentials(spec: PlatformSpec, base_url: str, name: str) -> dict[str, str]:
    """What the local sandbox issues: the token and its app's client credentials."""
    assert spec.issue_credentials is not None
    try:
        issued = spec.issue_credentials(base_url, name)
        if not issued.get(spec.main_credential):
            raise ValueError("no token")
        return dict(issued)
    except Exception:  # unreachable, refused or garbled: all mean "start the sandbox"
        raise ValidationFailed(
            "the sandbox platform is not reachable at {url}; start it with "
            "`postgate sandbox serve`",
            field="base_url",
            url=base_url,
        ) from None


def _parse(spec: PlatformSpec, secret: str) -> dict[str, str]:
    if not secret.startswith("{"):
        return {spec.main_credential: secret}
    try:
        credentials: Any = json.loads(secret)
    except ValueError:
        raise ValidationFailed("credentials are not valid JSON", field="token") from None
    if not isinstance(credentials, dict):
        raise ValidationFailed("credentials must be a JSON object", field="token")
    return {str(k): str(v) for k, v in credentials.items()}


def verify_credentials(
    rt: Runtime, platform: str, base_url: str | None, credentials: dict[str, str]
) -> AccountInfo:
    """Ask the platform who the credentials belong to; refuse them when it says no."""
    connector = connector_for(
        platform,
        base_url=base_url,
        credentials=credentials,
        transport=GuardedTransport(url_policy(rt, platform)),
    )
    try:
        return connector.verify_credentials()
    except CredentialsError as exc:
        raise ValidationFailed(
            "the platform refused the credentials: {detail}", field="token", detail=exc.message
        ) from None
    except ConnectorError as exc:  # down, rate limited or answering nonsense: say so
        raise ValidationFailed(
            "could not verify the credentials: {detail}", field="token", detail=exc.message
        ) from None
    finally:
        connector.close()


def account_credentials(rt: Runtime, account: Account) -> dict[str, str]:
    """The account's credentials, decrypted (``{}`` when it has none)."""
    if not account.credentials_enc:
        return {}
    return {k: str(v) for k, v in rt.vault.decrypt_json(account.credentials_enc).items()}


def connector_for_account(
    rt: Runtime,
    account: Account,
    *,
    timeout: float = 10.0,
    priority: Priority = Priority.SETTLE,
    max_wait: float = 60.0,
    gate: PublishGate | None = None,
    budget_required: bool = True,
) -> Connector:
    """Build the account's connector; the caller closes it (it is a context manager).

    Every request it sends is checked and pinned (:mod:`postgate.urlguard`), spends from the
    account's request budget with ``priority``, waiting at most ``max_wait`` for it
    (:mod:`postgate.budget`; without Redis it is not sent, unless not ``budget_required``),
    and with a ``gate`` passes the freeze gate right before it is
    sent (:mod:`postgate.call_gate`).
    """
    base_url = account.base_url
    if not base_url and platform_spec(account.platform).local:
        base_url = rt.settings.sandbox_url
    credentials = account_credentials(rt, account)
    transport: httpx.BaseTransport = GuardedTransport(url_policy(rt, account.platform))
    if gate is not None:  # innermost: nothing is sent after a freeze, however long pacing took
        transport = GatedTransport(transport, gate)
    budget = Budget(rt, account.id, quotas_for(account.platform), priority)
    transport = PacedTransport(
        transport, budget, platform=account.platform, max_wait=max_wait, required=budget_required
    )
    connector = connector_for(
        account.platform,
        base_url=base_url,
        credentials=credentials,
        timeout=timeout,
        transport=transport,
    )
    connector.keep_sessions_in(RedisSessionStore(rt, account.id, credentials))
    return connector
