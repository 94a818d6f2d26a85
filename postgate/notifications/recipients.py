"""Who hears about what: people by role, their channels, and the organisation's channels."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import (
    ColumnElement,
    Select,
    Table,
    and_,
    bindparam,
    literal,
    null,
    or_,
    select,
    union_all,
)
from sqlalchemy import cast as cast_
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
_NAMED = _USERS.c.id.in_(bindparam("ids", expanding=True))
_MAY_REVIEW = and_(
    _USERS.c.disabled.is_(False),
    _USERS.c.roles.contains(Role.REVIEWER.value, autoescape=True),
)
_ENABLED = select(_CHANNELS.c.id, _CHANNELS.c.user_id, _CHANNELS.c.audiences).where(
    _CHANNELS.c.enabled.is_(True)
)
_ORGANISATION_CHANNELS = _ENABLED.where(_CHANNELS.c.user_id.is_(None)).order_by(_CHANNELS.c.id)


def _people_with_channels(people: ColumnElement[bool], owners: ColumnElement[bool]) -> Select:
    """One statement for two reads: the people matching ``people`` with their preferences,
    and the enabled channels that belong to the organisation or to a user matching
    ``owners`` (a ``kind`` of ``person`` or ``channel`` tells the rows apart)."""

    def nothing(column: Any) -> ColumnElement[Any]:
        return cast_(null(), column.type)

    person_rows = (
        select(
            literal("person").label("kind"),
            _USERS.c.id,
            _USERS.c.roles,
            _USERS.c.disabled,
            _PREFS.c.user_id.label("pref_of"),
            _PREFS.c.language,
            _PREFS.c.email_enc,
            nothing(_CHANNELS.c.id).label("channel_id"),
            nothing(_CHANNELS.c.audiences).label("audiences"),
        )
        .select_from(_USERS.outerjoin(_PREFS, _PREFS.c.user_id == _USERS.c.id))
        .where(people)
    )
    channel_rows = select(
        literal("channel"),
        _CHANNELS.c.user_id,
        nothing(_USERS.c.roles),
        nothing(_USERS.c.disabled),
        nothing(_PREFS.c.user_id),
        nothing(_PREFS.c.language),
        nothing(_PREFS.c.email_enc),
        _CHANNELS.c.id,
        _CHANNELS.c.audiences,
    ).where(_CHANNELS.c.enabled.is_(True), or_(_CHANNELS.c.user_id.is_(None), owners))
    return select(union_all(person_rows, channel_rows).subquery())


_OWNED_BY_NAMED = _CHANNELS.c.user_id.in_(bindparam("ids", expanding=True))
_NAMED_WITH_CHANNELS = _people_with_channels(_NAMED, _OWNED_BY_NAMED)
_NAMED_AND_REVIEWERS_WITH_CHANNELS = _people_with_channels(
    or_(_NAMED, _MAY_REVIEW),
    or_(_OWNED_BY_NAMED, _CHANNELS.c.user_id.in_(select(_USERS.c.id).where(_MAY_REVIEW))),
)


def prefetch(db: Session, user_ids: Iterable[int], *, reviewers: bool = False) -> None:
    """Read, in one round trip, what routing a message to ``user_ids`` (and, with
    ``reviewers``, to every enabled reviewer) and the organisation reads, and keep it for
    ``db``'s transaction alone (the session ends with it, so no later change is ever missed).
    For a caller about to take a lock until its commit (the audit chain's), so that these
    reads are not made while others wait."""
    named = sorted(set(user_ids))
    prefs: dict[int, _Pref | None] = dict.fromkeys(named)
    found: list[int] | None = [] if reviewers else None
    owned: list[tuple[int, int | None, list[str]]]
    if named or reviewers:
        statement = _NAMED_AND_REVIEWERS_WITH_CHANNELS if reviewers else _NAMED_WITH_CHANNELS
        rows = db.execute(statement, {"ids": named}).all()
        for row in sorted((r for r in rows if r.kind == "person"), key=lambda r: r.id):
            if found is not None and not row.disabled and Role.REVIEWER in row.roles.split():
                found.append(row.id)
            elif row.id not in prefs:
                continue  # a near miss of the reviewers' LIKE, not a reviewer
            prefs[row.id] = _Pref(row.language, row.email_enc) if row.pref_of else None
        owned = [(r.channel_id, r.id, r.audiences) for r in rows if r.kind == "channel"]
    else:
        owned = [(r.id, r.user_id, r.audiences) for r in db.execute(_ORGANISATION_CHANNELS)]
    channels: dict[int, list[int]] = {user_id: [] for user_id in sorted(prefs)}
    organisation: list[tuple[int, list[str]]] = []
    for channel_id, user_id, audiences in sorted(owned, key=lambda c: c[0]):
        if user_id is None:
            organisation.append((channel_id, list(audiences or [])))
        elif user_id in channels:  # not a near miss's
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
