"""Who hears about what: people by role, their channels, and the organisation's channels."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from postgate.notifications.kinds import Audience
from postgate.states import Role
from postgate.store.models import NotifyChannel, NotifyPreference, User


def people_with(db: Session, *roles: Role) -> list[User]:
    """Enabled users holding any of ``roles``, by id. The store narrows the rows to those whose
    roles contain one of the names (a submission read every user before); ``has_role``
    decides exactly."""
    named = or_(*(User.roles.contains(str(role), autoescape=True) for role in roles))
    users = db.scalars(select(User).where(User.disabled.is_(False), named).order_by(User.id))
    return [u for u in users if u.has_role(*roles)]


def security_people(db: Session) -> list[User]:
    return people_with(db, Role.SECURITY, Role.ADMIN)


def reviewers(db: Session, *, besides: int | None = None) -> list[User]:
    """Enabled reviewers but ``besides``; the list :func:`prefetch` kept for this transaction
    when there is one."""
    memo = _read(db)
    kept = memo.reviewers if memo is not None else None
    if kept is not None:
        return [u for u in kept if u.id != besides]
    return [u for u in people_with(db, Role.REVIEWER) if u.id != besides]


MEMO = "postgate_recipients"


@dataclass(frozen=True)
class _Read:
    """What :func:`prefetch` read for a transaction: per person their preference (None: no
    row) and enabled channel ids; the organisation's enabled channels and their audiences."""

    prefs: dict[int, NotifyPreference | None]
    channels: dict[int, list[int]]
    organisation: list[tuple[int, list[str]]]
    reviewers: list[User] | None = None


def prefetch(db: Session, user_ids: Iterable[int], *, reviewers: list[User] | None = None) -> None:
    """Read, in two round trips, what routing a message to ``user_ids`` and the organisation
    reads, and keep it for ``db``'s transaction alone (the session ends with it, so no later
    change is ever missed). For a caller about to take a lock until its commit (the audit
    chain's), so that these reads are not made while others wait. ``reviewers``: the
    reviewers to ask for a review, as the caller has just read them (:func:`reviewers`)."""
    ids = sorted(set(user_ids) | {u.id for u in reviewers or []})
    prefs: dict[int, NotifyPreference | None] = dict.fromkeys(ids)
    if ids:
        for pref in db.scalars(select(NotifyPreference).where(NotifyPreference.user_id.in_(ids))):
            prefs[pref.user_id] = pref
    channels: dict[int, list[int]] = {user_id: [] for user_id in ids}
    organisation: list[tuple[int, list[str]]] = []
    rows = db.execute(
        select(NotifyChannel.id, NotifyChannel.user_id, NotifyChannel.audiences)
        .where(NotifyChannel.enabled.is_(True))
        .where(
            or_(NotifyChannel.user_id.is_(None), NotifyChannel.user_id.in_(ids))
            if ids
            else NotifyChannel.user_id.is_(None)
        )
        .order_by(NotifyChannel.id)
    )
    for channel_id, user_id, audiences in rows:
        if user_id is None:
            organisation.append((channel_id, list(audiences or [])))
        else:
            channels[user_id].append(channel_id)
    db.info[MEMO] = _Read(prefs, channels, organisation, reviewers)


def _read(db: Session) -> _Read | None:
    found = db.info.get(MEMO)
    return found if isinstance(found, _Read) else None


def _pref(db: Session, user_id: int) -> NotifyPreference | None:
    memo = _read(db)
    if memo is not None and user_id in memo.prefs:
        return memo.prefs[user_id]
    return db.get(NotifyPreference, user_id)


def language_of(db: Session, user_id: int, default: str) -> str:
    pref = _pref(db, user_id)
    return pref.language if pref is not None else default


def personal_channels(db: Session, user_id: int, smtp_configured: bool) -> list[str]:
    """The outbox channel names a person's messages go to, besides the in-app list."""
    memo = _read(db)
    if memo is not None and user_id in memo.channels:
        channels = [f"user:{cid}" for cid in memo.channels[user_id]]
        pref = memo.prefs[user_id]
        if smtp_configured and pref is not None and pref.email_enc:
            channels.append(f"email:{user_id}")
        return channels
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
    memo = _read(db)
    if memo is not None:
        return [f"org:{cid}" for cid, audiences in memo.organisation if str(audience) in audiences]
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
