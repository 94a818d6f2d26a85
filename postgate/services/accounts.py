"""Connecting social accounts and changing their settings.

Credentials are verified on entry, stored encrypted and never shown
(:mod:`postgate.services.credentials`); which platforms exist and what each needs comes from
the platform registry.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import select
from sqlalchemy.orm import Session

from postgate.audit import Event
from postgate.errors import Conflict, NotFound, ValidationFailed
from postgate.platforms.registry import PLATFORMS, platform_names
from postgate.runtime import Runtime
from postgate.services.credentials import resolve_credentials, verify_credentials
from postgate.services.names import canonical_name
from postgate.services.server_limits import fetch_server_limits, note_server_limits
from postgate.states import NEEDS_CREDENTIALS, AccountStatus
from postgate.store.models import Account
from rules import WindowError, parse_window

ACCOUNT_NAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")


def find_account(db: Session, name: str, *, field: str = "account") -> Account:
    account = db.scalar(select(Account).where(Account.name == canonical_name(name)))
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
    for spec in specs:
        try:
            parse_window(spec)
        except WindowError as exc:
            raise _window_error(spec, exc) from None
        except ValueError as exc:
            raise ValidationFailed(
                "posting window {spec!r}: {detail}", field="window", spec=spec, detail=str(exc)
            ) from None
    return list(specs)


def _window_error(spec: str, exc: WindowError) -> ValidationFailed:
    """What is wrong with a posting window, in a template the web app translates."""
    if exc.kind == WindowError.UNKNOWN_DAY:
        return ValidationFailed(
            "posting window {spec!r}: unknown day {day!r} (use mon, tue, wed, thu, fri, sat, "
            "sun, or lun, mar, mer, jeu, ven, sam, dim)",
            field="window",
            spec=spec,
            day=exc.value,
        )
    if exc.kind == WindowError.BAD_TIME:
        return ValidationFailed(
            "posting window {spec!r}: {time!r} is not a time like 08:00",
            field="window",
            spec=spec,
            time=exc.value,
        )
    if exc.kind == WindowError.ORDER:
        return ValidationFailed(
            "posting window {spec!r}: the end must come after the start (split a window "
            "across midnight in two)",
            field="window",
            spec=spec,
        )
    return ValidationFailed(
        "posting window {spec!r}: expected something like “mon-fri 08:00-20:00” or "
        "“sat,sun 10:00-14:00”",
        field="window",
        spec=spec,
    )


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
    name = canonical_name(name)
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
            names=", ".join(platform_names()),
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
    limits = fetch_server_limits(rt, platform, base_url, credentials)
    account = Account(
        name=name,
        platform=platform,
        base_url=base_url,
        handle=info.handle or "",
        remote_account_id=info.remote_id,
        credentials_enc=rt.vault.encrypt_json(credentials),
        token_expires_at=token_expiry(credentials),
        timezone=timezone,
        windows=windows,
        blackout_dates=blackouts,
        approvals_required=int(approvals_required),
    )
    note_server_limits(account, limits)
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


def token_expiry(credentials: dict[str, str]) -> datetime | None:
    """When the credentials' token ends (``expires_at``, ISO 8601), for the refresh job; None
    when they do not say, or say something that is not a time with its offset."""
    try:
        when = datetime.fromisoformat(credentials.get("expires_at") or "")
    except ValueError:
        return None
    return when if when.tzinfo is not None else None


def account_to_dict(account: Account, *, frozen: bool) -> dict[str, Any]:
    """The public view of an account: never its credentials. ``frozen``: a freeze holds it
    now (its own or a global one; :mod:`postgate.services.account_views` reads it). A
    freeze is kept in its own rows, not in ``status``, which says whether the credentials
    can be used."""
    return {
        "name": account.name,
        "platform": account.platform,
        "handle": account.handle,
        "status": account.status,
        "frozen": frozen,
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
    account.token_expires_at = token_expiry(credentials)
    account.base_url = base_url
    account.handle = info.handle or account.handle
    account.remote_account_id = info.remote_id or account.remote_account_id
    note_server_limits(account, fetch_server_limits(rt, account.platform, base_url, credentials))
    before = account.status
    if before in NEEDS_CREDENTIALS:
        account.status = AccountStatus.ACTIVE
    rt.audit(
        db,
        Event.ACCOUNT_CREDENTIALS,
        actor=actor,
        target=f"account:{account.name}",
        source=source,
        details={"status_before": before, "status": account.status, "verified": True},
    )
    return account


def validate_approvals(value: Any) -> int:
    """How many approvals an account's posts need: a whole number from 1 to 5."""
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 5:
        raise ValidationFailed(
            "approvals required must be between 1 and 5", field="approvals_required"
        )
    return value


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
        value = validate_approvals(changes["approvals_required"])
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
