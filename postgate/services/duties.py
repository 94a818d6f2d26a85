"""Separation of duties: nobody alone gives themself the power to publish (DESIGN.md
invariant 2).

- Nobody changes their own roles, nor resets their own password or 2FA through an admin's
  form (people change their own credentials on their own page).
- Granting ``reviewer``, ``security`` or ``admin``, and resetting someone's password or 2FA,
  wait as a :class:`PendingChange` for a second admin's confirmation, with 2FA, when the
  organisation has two active admins or more. Both admins see it; so does the security lead
  in the console; every step is audited.
- With a single admin the change takes effect, but a user just made reviewer (or reset)
  through the web app or the API cannot approve posts for ``cooling_off_hours`` (24 by
  default), so the lone admin's new "reviewer" cannot approve their post today, and anyone
  watching the audit log has a day to notice. ``postgate users add`` on the server is not
  held back: whoever runs it holds the keys already.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from postgate.audit import Event
from postgate.errors import Conflict, Forbidden, NotFound
from postgate.runtime import Runtime
from postgate.services import handover, lapsing
from postgate.services.enrolment_links import IssuedLink
from postgate.services.users import find_user, normalise_roles, set_roles
from postgate.states import Role
from postgate.store.models import PendingChange, User
from postgate.store.types import utcnow

PRIVILEGED = frozenset({Role.REVIEWER, Role.SECURITY, Role.ADMIN})


class ChangeKind(enum.StrEnum):
    ROLES = "roles"  # granting roles; ``roles`` holds all the user would have
    PASSWORD = "password"  # noqa: S105 (resetting a password: a kind, not a secret)
    TOTP = "totp"  # resetting 2FA


class ChangeOutcome(enum.StrEnum):
    PENDING = "pending"
    CONFIRMED = "confirmed"
    CANCELLED = "cancelled"


CHANGE_KINDS: tuple[str, ...] = tuple(ChangeKind)
RESETS = {ChangeKind.PASSWORD: handover.reset_password, ChangeKind.TOTP: handover.reset_totp}


@dataclass(frozen=True)
class Outcome:
    """What a request did: applied (``user``, and for a reset its ``link``), or left
    ``pending`` for a second admin."""

    user: User
    link: IssuedLink | None = None
    pending: PendingChange | None = None


def two_admins(db: Session) -> bool:
    """Whether a second admin can confirm: two active admins or more."""
    users = db.scalars(select(User).where(User.disabled.is_(False)))
    return sum(1 for user in users if user.has_role(Role.ADMIN)) >= 2


def cooling_off_error(user: User) -> Forbidden | None:
    """The refusal to approve while ``user`` cools off (None once they may)."""
    if user.approve_after is None or user.approve_after <= utcnow():
        return None
    return Forbidden(
        "you may approve posts from {when} (UTC): your reviewer role or credentials "
        "changed recently with no second admin to confirm it",
        field="reviewer",
        when=user.approve_after.strftime("%Y-%m-%d %H:%M"),
    )


def change_roles(
    rt: Runtime, db: Session, username: str, roles: Iterable[str], *, actor: str, source: str = ""
) -> Outcome:
    """Replace someone else's roles; a grant of power waits for a second admin if there is
    one, else takes effect with a cooling-off period."""
    user = find_user(db, username)
    if user.username == actor:
        raise Forbidden("nobody changes their own roles; ask another admin", field="username")
    after = normalise_roles(roles)
    granted = (set(after) - user.role_set) & PRIVILEGED
    if granted and two_admins(db):
        return Outcome(user, pending=_ask(rt, db, ChangeKind.ROLES, user, actor, source, after))
    set_roles(rt, db, username, after, actor=actor, source=source)
    if Role.REVIEWER in granted:
        _cool_off(rt, db, user, actor, source)
    return Outcome(user)


def reset(
    rt: Runtime, db: Session, kind: str, username: str, *, actor: str, source: str = ""
) -> Outcome:
    """Reset someone else's ``password`` or ``totp``: pending with two admins, else at once
    with a cooling-off period."""
    user = find_user(db, username)
    if user.username == actor:
        raise Forbidden(
            "change your own password or authenticator on your own page", field="username"
        )
    if two_admins(db):
        return Outcome(user, pending=_ask(rt, db, kind, user, actor, source, None))
    link = RESETS[ChangeKind(kind)](rt, db, username, actor=actor, source=source)
    _cool_off(rt, db, user, actor, source)
    return Outcome(user, link=link)


def invite(
    rt: Runtime, db: Session, username: str, roles: Iterable[str], *, actor: str, source: str = ""
) -> Outcome:
    """A new user with their enrolment link; the powers among their roles wait for a second
    admin if there is one, else come with a cooling-off period."""
    wanted = normalise_roles(roles)
    held_back = two_admins(db) and bool(set(wanted) & PRIVILEGED)
    first = [r for r in wanted if r not in PRIVILEGED] if held_back else wanted
    user, link = handover.invite(rt, db, username, first, actor=actor, source=source)
    if held_back:
        return Outcome(
            user, link=link, pending=_ask(rt, db, ChangeKind.ROLES, user, actor, source, wanted)
        )
    if Role.REVIEWER in wanted:
        _cool_off(rt, db, user, actor, source)
    return Outcome(user, link=link)


def confirm(rt: Runtime, db: Session, change_id: int, *, actor: str, source: str = "") -> Outcome:
    """A second admin confirms (the caller checked their fresh 2FA): the change applies."""
    change = _pending(db, change_id)
    if actor == change.requested_by:
        raise Forbidden("a second admin must confirm this change, not the one who asked")
    if actor == change.user.username:
        raise Forbidden("nobody confirms a change of their own access")
    change.outcome, change.decided_by = ChangeOutcome.CONFIRMED, actor
    change.decided_at = utcnow()
    _record(rt, db, Event.USER_CHANGE_CONFIRMED, change, actor, source)
    name = change.user.username
    if change.kind == ChangeKind.ROLES:
        set_roles(rt, db, name, (change.roles or "").split(), actor=actor, source=source)
        return Outcome(change.user, pending=change)
    link = RESETS[ChangeKind(change.kind)](rt, db, name, actor=actor, source=source)
    return Outcome(change.user, link=link, pending=change)


def cancel(
    rt: Runtime, db: Session, change_id: int, *, actor: str, source: str = ""
) -> PendingChange:
    """Either admin (the one who asked included) drops a pending change (not a lapsed one:
    it is dropped already)."""
    change = _pending(db, change_id)
    change.outcome, change.decided_by = ChangeOutcome.CANCELLED, actor
    change.decided_at = utcnow()
    _record(rt, db, Event.USER_CHANGE_CANCELLED, change, actor, source)
    return change


def pending_changes(db: Session) -> list[PendingChange]:
    return list(
        db.scalars(
            select(PendingChange)
            .where(
                PendingChange.outcome == ChangeOutcome.PENDING,
                lapsing.still_open(PendingChange.expires_at),
            )
            .order_by(PendingChange.id)
        )
    )


def change_to_dict(change: PendingChange) -> dict[str, object]:
    return {
        "id": change.id,
        "kind": change.kind,
        "username": change.user.username,
        "roles": (change.roles or "").split() if change.kind == ChangeKind.ROLES else None,
        "requested_by": change.requested_by,
        "requested_at": change.requested_at.isoformat(),
        "expires_at": lapsing.shown_time(change.expires_at),
        "outcome": lapsing.shown_outcome(change.outcome, ChangeOutcome.PENDING, change.expires_at),
        "decided_by": change.decided_by,
    }


def _pending(db: Session, change_id: int) -> PendingChange:
    change = db.scalar(select(PendingChange).where(PendingChange.id == change_id).with_for_update())
    if change is None:
        raise NotFound("no pending change {id}", field="id", id=change_id)
    if change.outcome == ChangeOutcome.CONFIRMED:
        raise Conflict("this change was confirmed already", field="id")
    if change.outcome != ChangeOutcome.PENDING:
        raise Conflict("this change was cancelled already", field="id")
    lapsing.refuse_lapsed(change.expires_at)  # nobody decides on a stale request
    return change


def _ask(
    rt: Runtime,
    db: Session,
    kind: str,
    user: User,
    actor: str,
    source: str,
    roles: list[str] | None,
) -> PendingChange:
    now = utcnow()
    change = PendingChange(
        kind=kind,
        user=user,
        roles=" ".join(roles) if roles is not None else None,
        requested_by=actor,
        requested_at=now,
        expires_at=lapsing.lapses_at(rt.settings, now),
    )
    db.add(change)
    db.flush()
    _record(rt, db, Event.USER_CHANGE_REQUESTED, change, actor, source)
    return change


def _record(
    rt: Runtime, db: Session, event: Event, change: PendingChange, actor: str, source: str
) -> None:
    rt.audit(
        db,
        event,
        actor=actor,
        target=f"user:{change.user.username}",
        details={
            "change": change.id,
            "kind": change.kind,
            "roles": change.roles,
            "requested_by": change.requested_by,
        },
        source=source,
    )


def _cool_off(rt: Runtime, db: Session, user: User, actor: str, source: str) -> None:
    hours = rt.settings.cooling_off_hours
    if not hours:
        return
    user.approve_after = utcnow() + timedelta(hours=hours)
    rt.audit(
        db,
        Event.USER_COOLING_OFF,
        actor=actor,
        target=f"user:{user.username}",
        details={"approve_after": user.approve_after.isoformat(), "hours": hours},
        source=source,
    )
