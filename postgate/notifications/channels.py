"""The organisation's and each person's channels, and their language and e-mail address.

An Apprise URL carries the channel's secret (an SMTP password, a Slack or Teams webhook
token), so it is stored encrypted like platform credentials (:mod:`postgate.vault`), never
shown again once entered, never logged, and never part of an audit entry: the API shows a
channel's name, kind (the URL's scheme) and audiences only. URLs that reach a host given in
them (webhooks, Mattermost, e-mail servers) must name a public address unless the address
is listed in ``allow_private_urls``, as for platforms; the address is checked again on
every send.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import apprise
from sqlalchemy import select
from sqlalchemy.orm import Session

from postgate.audit import Event
from postgate.errors import NotFound, ValidationFailed
from postgate.notifications.kinds import LANGUAGES, Audience
from postgate.notifications.recipients import env_channel
from postgate.store.models import NotifyChannel, NotifyPreference, User
from postgate.urlguard import UrlPolicy, URLRefused, checked_address, literal_refusal

if TYPE_CHECKING:
    from postgate.runtime import Runtime

MAX_URL = 2000
# Schemes whose URL names the host Postgate connects to, as the http(s) origin to check.
_HOSTED = {
    "json": "http",
    "jsons": "https",
    "xml": "http",
    "xmls": "https",
    "form": "http",
    "forms": "https",
    "mmost": "http",
    "mmosts": "https",
    "mailto": "http",
    "mailtos": "https",
}


def url_kind(url: str) -> str:
    return url.split("://", 1)[0].lower()


def check_url(rt: Runtime, url: str, field: str = "url") -> str:
    """The channel kind of an Apprise URL a person entered; ValidationFailed when Apprise
    does not understand it or it names a private address that is not allowed."""
    if not isinstance(url, str) or "://" not in url or len(url) > MAX_URL:
        raise ValidationFailed("expected an Apprise URL (scheme://...)", field=field)
    if apprise.Apprise.instantiate(url) is None:
        raise ValidationFailed("Apprise does not understand this URL", field=field)
    for origin in _origins(url):
        problem = literal_refusal(UrlPolicy.for_platform(rt.settings.allow_private_urls), origin)
        if problem:
            raise ValidationFailed(
                "this URL is refused: {problem}", field=field, problem=problem.split(",")[0]
            )
    return url_kind(url)


def check_reachable(rt: Runtime, url: str) -> str:
    """Why sending to ``url`` is refused now (its host resolves to a private address that is
    not allowed), or ""; checked before every send of a channel people entered."""
    policy = UrlPolicy.for_platform(rt.settings.allow_private_urls)
    for origin in _origins(url):
        try:
            checked_address(policy, origin)
        except URLRefused as exc:
            return str(exc).split(",")[0]
    return ""


def _origins(url: str) -> list[str]:
    scheme = _HOSTED.get(url_kind(url))
    if scheme is None:
        return []
    parts = urlsplit(url)
    origins = []
    host = parts.hostname
    if host:
        port = f":{parts.port}" if _port(parts) else ""
        origins.append(f"{scheme}://{host}{port}/")
    smtp = dict(parse_qsl(parts.query)).get("smtp")
    if smtp:
        origins.append(f"{scheme}://{smtp}/")
    return origins


def _port(parts: Any) -> int | None:
    try:
        return parts.port
    except ValueError:
        return None


def _audiences(value: Any) -> list[str]:
    if value is None:
        return [str(Audience.SECURITY)]
    if not isinstance(value, list) or not all(v in set(Audience) for v in value):
        raise ValidationFailed(
            "audiences: a list of {choices}",
            field="audiences",
            choices=", ".join(a.value for a in Audience),
        )
    return sorted(set(value))


def _name(value: Any) -> str:
    if not isinstance(value, str) or not value.strip() or len(value) > 64:
        raise ValidationFailed("a name of 1 to 64 characters", field="name")
    return value.strip()


def add_channel(
    rt: Runtime,
    db: Session,
    actor: User,
    *,
    owner: User | None,
    name: Any,
    url: Any,
    audiences: Any = None,
    source: str = "",
) -> NotifyChannel:
    """A channel of ``owner`` (None: the organisation's, for ``audiences``)."""

    kind = check_url(rt, url)
    channel = NotifyChannel(
        user_id=owner.id if owner else None,
        name=_name(name),
        kind=kind,
        url_enc=rt.vault.encrypt(url),
        audiences=_audiences(audiences) if owner is None else [],
        created_by=actor.username,
    )
    db.add(channel)
    db.flush()
    _audit_channel(rt, db, actor, channel.id, "add", owner, source, kind=kind)
    return channel


def _audit_channel(
    rt: Runtime,
    db: Session,
    actor: User,
    channel_id: int,
    op: str,
    owner: User | None,
    source: str,
    **more: str,
) -> None:
    """``notify:channel``: who added or removed which channel of whom (never its URL)."""
    rt.audit(
        db,
        Event.NOTIFY_CHANNEL,
        actor=actor.username,
        target=f"channel:{channel_id}",
        details={"op": op, "owner": owner.username if owner else None, **more},
        source=source,
    )


def remove_channel(
    rt: Runtime, db: Session, actor: User, channel_id: int, *, owner: User | None, source: str = ""
) -> None:

    channel = db.get(NotifyChannel, channel_id)
    if channel is None or channel.user_id != (owner.id if owner else None):
        raise NotFound("no such channel", field="id")
    db.delete(channel)
    _audit_channel(rt, db, actor, channel_id, "remove", owner, source)


def list_channels(db: Session, owner: User | None) -> list[NotifyChannel]:
    owner_id = owner.id if owner else None
    query = select(NotifyChannel).order_by(NotifyChannel.id)
    query = query.where(
        NotifyChannel.user_id == owner_id if owner_id else NotifyChannel.user_id.is_(None)
    )
    return list(db.scalars(query))


def channel_to_dict(channel: NotifyChannel) -> dict[str, Any]:
    """What the API and pages show of a channel: never its URL."""
    return {
        "id": channel.id,
        "name": channel.name,
        "kind": channel.kind,
        "audiences": list(channel.audiences or []),
        "enabled": channel.enabled,
        "created_at": channel.created_at.isoformat(),
    }


def preferences(rt: Runtime, db: Session, user: User) -> dict[str, Any]:
    pref = db.get(NotifyPreference, user.id)
    email = rt.vault.decrypt(pref.email_enc) if pref and pref.email_enc else None
    return {
        "language": pref.language if pref else rt.settings.notify_language,
        "email": email,
        "email_available": bool(rt.settings.notify_smtp_url),
    }


def set_preferences(
    rt: Runtime, db: Session, user: User, changes: dict[str, Any], *, source: str = ""
) -> dict[str, Any]:
    """Change the caller's language and e-mail address (``""`` or None removes it)."""

    pref = db.get(NotifyPreference, user.id)
    if pref is None:
        pref = NotifyPreference(user_id=user.id, language=rt.settings.notify_language)
        db.add(pref)
    if "language" in changes:
        if changes["language"] not in LANGUAGES:
            raise ValidationFailed("language: fr or en", field="language")
        pref.language = changes["language"]
    if "email" in changes:
        pref.email_enc = _email(rt, changes["email"])
    db.flush()
    rt.audit(
        db,
        Event.NOTIFY_PREFERENCES,
        actor=user.username,
        target=f"user:{user.username}",
        details={"language": pref.language, "email": bool(pref.email_enc)},
        source=source,
    )
    return preferences(rt, db, user)


def _email(rt: Runtime, value: Any) -> str | None:
    if value in (None, ""):
        return None
    if (
        not isinstance(value, str)
        or len(value) > 254
        or value.count("@") != 1
        or any(c in value for c in " ,;<>?&/\\\"'")
        or "." not in value.split("@")[1]
    ):
        raise ValidationFailed("not an e-mail address", field="email")
    return rt.vault.encrypt(value.strip())


def channel_url(rt: Runtime, db: Session, channel: str) -> tuple[str | None, bool]:
    """The Apprise URL behind an outbox channel name, and whether people entered it (so its
    address is checked again); None when the channel is gone."""
    kind, _, ident = channel.partition(":")
    if kind in ("user", "org") and ident.isdigit():
        row = db.get(NotifyChannel, int(ident))
        if row is None or not row.enabled:
            return None, True
        return rt.vault.decrypt(row.url_enc), True
    if kind == "env":
        for url in rt.settings.notify_urls:
            if env_channel(url) == channel:
                return url, False
        return None, False
    if kind == "email" and ident.isdigit() and rt.settings.notify_smtp_url:
        pref = db.get(NotifyPreference, int(ident))
        if pref is None or not pref.email_enc:
            return None, False
        return with_recipient(rt.settings.notify_smtp_url, rt.vault.decrypt(pref.email_enc)), False
    return None, False


def with_recipient(smtp_url: str, address: str) -> str:
    """The organisation's Apprise ``mailto`` URL, sending to ``address``."""
    parts = urlsplit(smtp_url)
    query = [(k, v) for k, v in parse_qsl(parts.query) if k != "to"] + [("to", address)]
    return urlunsplit(parts._replace(query=urlencode(query)))
