"""Connecting social accounts: credentials are verified on entry, stored encrypted, never shown."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import select
from sqlalchemy.orm import Session

from postgate.audit import Event
from postgate.errors import Conflict, NotFound, ValidationFailed
from postgate.runtime import Runtime
from postgate.store.models import Account
from postgate.urlguard import GuardedTransport, UrlPolicy, URLRefused, checked_address

PLATFORMS = ("sandbox", "mastodon", "bluesky", "x", "webhook")
ACCOUNT_NAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")


def find_account(db: Session, name: str, *, field: str = "account") -> Account:
    account = db.scalar(select(Account).where(Account.name == name))
    if account is None:
        raise NotFound("no account named {name!r}", field=field, name=name)
    return account


MAX_ZONE_NAME = 64  # the column's width; the longest IANA name has 32 characters


def validate_timezone(name: str) -> str:
    """An IANA zone name; anything else (a path, a name longer than any zone) is refused."""
    try:
        if len(name) > MAX_ZONE_NAME:
            raise ValueError(name)
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise ValidationFailed(
            "unknown time zone {name!r}", field="timezone", name=name[:MAX_ZONE_NAME]
        ) from None
    return name


def validate_windows(specs: Sequence[str]) -> list[str]:
    from rules import parse_window

    for spec in specs:
        try:
            parse_window(spec)
        except ValueError as exc:
            raise ValidationFailed(
                "posting window {spec!r}: {detail}", field="window", spec=spec, detail=str(exc)
            ) from None
    return list(specs)


def validate_blackouts(values: Sequence[str]) -> list[str]:
    out = []
    for value in values:
        try:
            out.append(date.fromisoformat(value).isoformat())
        except ValueError:
            raise ValidationFailed(
                "blackout date {value!r} is not YYYY-MM-DD", field="blackout_dates", value=value
            ) from None
    return out


def resolve_credentials(
    rt: Runtime, name: str, platform: str, base_url: str | None, secret: str | None
) -> tuple[str | None, dict[str, str]]:
    """Turn what the admin typed into the platform's credential fields.

    A JSON object gives every field; a bare string is the platform's main token. For the
    sandbox, an absent token is issued by the local sandbox platform for the account's name.
    """
    import json

    from workers.connectors import REQUIRED_CREDENTIALS

    if platform == "sandbox":
        base_url = base_url or rt.settings.sandbox_url
    check_destination(rt, platform, base_url, "base_url")
    if platform == "sandbox":
        if not secret:
            from workers.sandbox.client import issue_token

            try:
                secret = issue_token(base_url, name)["access_token"]
            except Exception:
                raise ValidationFailed(
                    "the sandbox platform is not reachable at {url}; start it with "
                    "`postgate sandbox serve`",
                    field="base_url",
                    url=base_url,
                ) from None
    if not secret:
        raise ValidationFailed(
            "{platform} accounts need credentials (--token-stdin)", field="token", platform=platform
        )
    secret = secret.strip()
    if secret.startswith("{"):
        try:
            credentials: Any = json.loads(secret)
        except ValueError:
            raise ValidationFailed("credentials are not valid JSON", field="token") from None
        if not isinstance(credentials, dict):
            raise ValidationFailed("credentials must be a JSON object", field="token")
    else:
        main = REQUIRED_CREDENTIALS[platform][0]
        credentials = {main: secret}
    missing = [k for k in REQUIRED_CREDENTIALS[platform] if not credentials.get(k)]
    if missing:
        raise ValidationFailed(
            "{platform} credentials need {names}",
            field="token",
            platform=platform,
            names=", ".join(missing),
        )
    check_destination(rt, platform, credentials.get("url"), "token")  # a webhook's target
    return base_url, {str(k): str(v) for k, v in credentials.items()}


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


def verify_credentials(
    rt: Runtime, platform: str, base_url: str | None, credentials: dict[str, str]
) -> Any:
    """Ask the platform who the credentials belong to; refuse them when it says no."""
    from workers.connectors import ConnectorError, CredentialsError, connector_for

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


def add_account(
    rt: Runtime,
    db: Session,
    name: str,
    platform: str,
    *,
    base_url: str | None = None,
    secret: str | None = None,
    timezone: str = "UTC",
    windows: Sequence[str] = (),
    blackout_dates: Sequence[str] = (),
    approvals_required: int = 1,
    actor: str = "system",
    source: str = "",
) -> Account:
    name = (name or "").strip().lower()
    if not ACCOUNT_NAME.match(name):
        raise ValidationFailed(
            "an account name is 2 to 64 characters: lower-case letters, digits, '.', '_' or '-'",
            field="name",
        )
    if platform not in PLATFORMS:
        raise ValidationFailed(
            "unknown platform {platform!r}; one of {names}",
            field="platform",
            platform=platform,
            names=", ".join(PLATFORMS),
        )
    if not 1 <= int(approvals_required) <= 5:
        raise ValidationFailed("approvals required must be between 1 and 5", field="approvals")
    if db.scalar(select(Account.id).where(Account.name == name)) is not None:
        raise Conflict("an account named {name!r} exists already", field="name", name=name)
    timezone = validate_timezone(timezone)
    windows = validate_windows(windows)
    blackouts = validate_blackouts(blackout_dates)
    base_url, credentials = resolve_credentials(rt, name, platform, base_url, secret)
    info = verify_credentials(rt, platform, base_url, credentials)
    account = Account(
        name=name,
        platform=platform,
        base_url=base_url,
        handle=getattr(info, "handle", "") or "",
        remote_account_id=getattr(info, "remote_id", None),
        credentials_enc=rt.vault.encrypt_json(credentials),
        timezone=timezone,
        windows=windows,
        blackout_dates=blackouts,
        approvals_required=int(approvals_required),
    )
    db.add(account)
    db.flush()
    rt.audit(
        db,
        Event.ACCOUNT_ADD,
        actor=actor,
        target=f"account:{name}",
        source=source,
        details={
            "platform": platform,
            "timezone": timezone,
            "windows": windows,
            "approvals_required": account.approvals_required,
        },
    )
    return account


def account_credentials(rt: Runtime, account: Account) -> dict[str, str]:
    if not account.credentials_enc:
        return {}
    return {k: str(v) for k, v in rt.vault.decrypt_json(account.credentials_enc).items()}


def account_to_dict(account: Account) -> dict[str, Any]:
    """The public view of an account: never its credentials."""
    return {
        "name": account.name,
        "platform": account.platform,
        "handle": account.handle,
        "status": account.status,
        "timezone": account.timezone,
        "windows": list(account.windows or []),
        "blackout_dates": list(account.blackout_dates or []),
        "approvals_required": account.approvals_required,
        "has_credentials": bool(account.credentials_enc),
    }


def list_accounts(db: Session) -> list[Account]:
    return list(db.scalars(select(Account).order_by(Account.name)))


def replace_credentials(
    rt: Runtime,
    db: Session,
    name: str,
    secret: str | None,
    *,
    actor: str,
    source: str = "",
) -> Account:
    """Verify new credentials with the platform, store them encrypted, reconnect the account.

    A ``compromised`` or ``disconnected`` account goes back to ``active``: new credentials are
    the cure for both. A ``frozen`` account stays frozen. The secret is never audited.
    """
    account = find_account(db, name, field="name")
    base_url, credentials = resolve_credentials(
        rt, account.name, account.platform, account.base_url, secret
    )
    info = verify_credentials(rt, account.platform, base_url, credentials)
    account.credentials_enc = rt.vault.encrypt_json(credentials)
    account.base_url = base_url
    account.handle = getattr(info, "handle", "") or account.handle
    account.remote_account_id = getattr(info, "remote_id", None) or account.remote_account_id
    before = account.status
    if before in ("compromised", "disconnected"):
        account.status = "active"
    rt.audit(
        db,
        Event.ACCOUNT_CREDENTIALS,
        actor=actor,
        target=f"account:{account.name}",
        source=source,
        details={"status_before": before, "status": account.status, "verified": True},
    )
    return account


def update_account(
    rt: Runtime,
    db: Session,
    name: str,
    changes: dict[str, Any],
    *,
    actor: str,
    source: str = "",
) -> Account:
    """Change windows, time zone, approvals required or blackout dates; audited."""
    account = find_account(db, name, field="name")
    applied: dict[str, Any] = {}
    if "windows" in changes:
        account.windows = applied["windows"] = validate_windows(changes["windows"])
    if "timezone" in changes:
        account.timezone = applied["timezone"] = validate_timezone(changes["timezone"])
    if "blackout_dates" in changes:
        account.blackout_dates = validate_blackouts(changes["blackout_dates"])
        applied["blackout_dates"] = account.blackout_dates
    if "approvals_required" in changes:
        value = changes["approvals_required"]
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 5:
            raise ValidationFailed(
                "approvals required must be between 1 and 5", field="approvals_required"
            )
        account.approvals_required = applied["approvals_required"] = value
    if not applied:
        raise ValidationFailed(
            "nothing to change: give windows, timezone, approvals_required or blackout_dates",
            field="windows",
        )
    rt.audit(
        db,
        Event.ACCOUNT_UPDATE,
        actor=actor,
        target=f"account:{account.name}",
        source=source,
        details=applied,
    )
    return account
