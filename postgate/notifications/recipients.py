"""Who hears about what: people by role, their channels, and the organisation's channels."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from typing import cast

from sqlalchemy import Table, and_, bindparam, or_, select
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


def reviewer_ids(db: Session, *, besides: int | None = None) -> list[int]:
    """Enabled reviewers but ``besides``, by id; those :func:`prefetch` read for this
    transaction when it did."""
    memo = _read(db)
    kept = memo.reviewers if memo is not None else None
    if kept is None:
        kept = [u.id for u in people_with(db, Role.REVIEWER)]
    return [user_id for user_id in kept if user_id != besides]


MEMO = "postgate_recipients"


@dataclass(frozen=True)
class _Pref:
    """What routing reads of a person's preference row."""

    language: str
    email_enc: str | None


@dataclass(frozen=True)
class _Read:
    """What :func:`prefetch` read for a transaction: per person their preference (None: no
    row) and enabled channel ids; the organisation's enabled channels and their audiences;
    the enabled reviewers' ids when asked for."""

    prefs: dict[int, _Pref | None]
    channels: dict[int, list[int]]
    organisation: list[tuple[int, list[str]]]
    reviewers: list[int] | None = None


_USERS = cast(Table, User.__table__)
_PREFS = cast(Table, NotifyPreference.__table__)
_CHANNELS = cast(Table, NotifyChannel.__table__)
_PEOPLE = select(
    _USERS.c.id,
    _USERS.c.roles,
    _USERS.c.disabled,
    _PREFS.c.user_id.label("pref_of"),
    _PREFS.c.language,
    _PREFS.c.email_enc,
).select_from(_USERS.outerjoin(_PREFS, _PREFS.c.user_id == _USERS.c.id))
_NAMED = _USERS.c.id.in_(bindparam("ids", expanding=True))
_MAY_REVIEW = and_(
    _USERS.c.disabled.is_(False),
    _USERS.c.roles.contains(Role.REVIEWER.value, autoescape=True),
)
_NAMED_PEOPLE = _PEOPLE.where(_NAMED).order_by(_USERS.c.id)
_NAMED_PEOPLE_AND_REVIEWERS = _PEOPLE.where(or_(_NAMED, _MAY_REVIEW)).order_by(_USERS.c.id)
_ENABLED = select(_CHANNELS.c.id, _CHANNELS.c.user_id, _CHANNELS.c.audiences).where(
    _CHANNELS.c.enabled.is_(True)
)
_CHANNELS_OF = _ENABLED.where(
    or_(_CHANNELS.c.user_id.is_(None), _CHANNELS.c.user_id.in_(bindparam("ids", expanding=True)))
).order_by(_CHANNELS.c.id)
_ORGANISATION_CHANNELS = _ENABLED.where(_CHANNELS.c.user_id.is_(None)).order_by(_CHANNELS.c.id)


def prefetch(db: Session, user_ids: Iterable[int], *, reviewers: bool = False) -> None:
    """Read, in two round trips, what routing a message to ``user_ids`` (and, with
    ``reviewers``, to every enabled reviewer) and the organisation reads, and keep it for
    ``db``'s transaction alone (the session ends with it, so no later change is ever missed).
    For a caller about to take a lock until its commit (the audit chain's), so that these
    reads are not made while others wait."""
    named = sorted(set(user_ids))
    prefs: dict[int, _Pref | None] = dict.fromkeys(named)
    found: list[int] | None = [] if reviewers else None
    if named or reviewers:
        people = _NAMED_PEOPLE_AND_REVIEWERS if reviewers else _NAMED_PEOPLE
        for row in db.execute(people, {"ids": named}):
            if found is not None and not row.disabled and Role.REVIEWER in row.roles.split():
                found.append(row.id)
            elif row.id not in prefs:
                continue  # a near miss of the reviewers' LIKE, not a reviewer
            prefs[row.id] = _Pref(row.language, row.email_enc) if row.pref_of else None
    ids = sorted(prefs)
    channels: dict[int, list[int]] = {user_id: [] for user_id in ids}
    organisation: list[tuple[int, list[str]]] = []
    rows = db.execute(_CHANNELS_OF, {"ids": ids}) if ids else db.execute(_ORGANISATION_CHANNELS)
    for channel_id, user_id, audiences in rows:
        if user_id is None:
            organisation.append((channel_id, list(audiences or [])))
        else:
            channels[user_id].append(channel_id)
    db.info[MEMO] = _Read(prefs, channels, organisation, found)


def _read(db: Session) -> _Read | None:
    found = db.info.get(MEMO)
    return found if isinstance(found, _Read) else None


def _pref(db: Session, user_id: int) -> NotifyPreference | _Pref | None:
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
        kept = memo.prefs[user_id]
        if smtp_configured and kept is not None and kept.email_enc:
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
