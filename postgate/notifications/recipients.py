"""Who hears about what: people by role, their channels, and the organisation's channels."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from postgate.notifications.kinds import Audience
from postgate.states import Role
from postgate.store.models import NotifyChannel, NotifyPreference, User


def people_with(db: Session, *roles: Role) -> list[User]:
    """Enabled users holding any of ``roles``, by id."""
    users = db.scalars(select(User).where(User.disabled.is_(False)).order_by(User.id))
    return [u for u in users if u.has_role(*roles)]


def security_people(db: Session) -> list[User]:
    return people_with(db, Role.SECURITY, Role.ADMIN)


def reviewers(db: Session, *, besides: int | None = None) -> list[User]:
    return [u for u in people_with(db, Role.REVIEWER) if u.id != besides]


def language_of(db: Session, user_id: int, default: str) -> str:
    pref = db.get(NotifyPreference, user_id)
    return pref.language if pref is not None else default


def personal_channels(db: Session, user_id: int, smtp_configured: bool) -> list[str]:
    """The outbox channel names a person's messages go to, besides the in-app list."""
    channels = [
        f"user:{cid}"
        for cid in db.scalars(
            select(NotifyChannel.id).where(
                NotifyChannel.user_id == user_id, NotifyChannel.enabled.is_(True)
            )
        )
    ]
    pref = db.get(NotifyPreference, user_id)
    if smtp_configured and pref is not None and pref.email_enc:
        channels.append(f"email:{user_id}")
    return channels


def organisation_channels(db: Session, audience: Audience) -> list[str]:
    rows = db.scalars(
        select(NotifyChannel).where(
            NotifyChannel.user_id.is_(None), NotifyChannel.enabled.is_(True)
        )
    )
    return [f"org:{c.id}" for c in rows if str(audience) in (c.audiences or [])]


def env_channel(url: str) -> str:
    """The outbox name of one ``POSTGATE_NOTIFY_URLS`` URL: a hash, never the URL itself."""
    return "env:" + hashlib.sha256(url.encode()).hexdigest()[:16]


def env_channels(urls: Iterable[str]) -> list[str]:
    return [env_channel(u) for u in urls]
