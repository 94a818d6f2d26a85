"""What an admin does to someone's credentials from the web app or the API: invite a new
user, reset a password, reset 2FA. Each hands over an enrolment link
(:mod:`postgate.services.enrolment_links`), never a password or a TOTP secret, so no admin can
sign in as the person they made or reset (DESIGN.md invariant 2).

The old credential stops working at once (a reset is also what one does after a theft), and
every session of the person ends.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy.orm import Session

from postgate.audit import Event
from postgate.runtime import Runtime
from postgate.services import enrollment
from postgate.services.enrolment_links import IssuedLink, Purpose, issue, unusable_password
from postgate.services.sessions import revoke_all_tokens
from postgate.services.users import add_user, find_user
from postgate.store.models import User


def invite(
    rt: Runtime,
    db: Session,
    username: str,
    roles: Iterable[str],
    *,
    actor: str,
    source: str = "",
) -> tuple[User, IssuedLink]:
    """A new user who has no password nor authenticator until they use the link (and no
    role yet when ``roles`` is empty: they wait for a second admin)."""
    roles = list(roles)
    user = add_user(
        rt,
        db,
        username,
        roles,
        password_hash=unusable_password(),
        totp_secret_enc=None,
        actor=actor,
        source=source,
        none_yet=not roles,
    )
    return user, issue(rt, db, user, Purpose.NEW, actor=actor, source=source)


def reset_password(
    rt: Runtime, db: Session, username: str, *, actor: str, source: str = ""
) -> IssuedLink:
    """The password stops working; the person chooses another through the link and proves it
    with their authenticator (or enrols one, when they have none confirmed)."""
    user = find_user(db, username)
    user.password_hash = unusable_password()
    ended = revoke_all_tokens(db, [user.id])
    rt.audit(
        db,
        Event.USER_RESET_PASSWORD,
        actor=actor,
        target=f"user:{user.username}",
        details={"tokens_ended": ended},
        source=source,
    )
    purpose = Purpose.PASSWORD if user.totp_confirmed else Purpose.NEW
    return issue(rt, db, user, purpose, actor=actor, source=source)


def reset_totp(
    rt: Runtime, db: Session, username: str, *, actor: str, source: str = ""
) -> IssuedLink:
    """The authenticator stops working; the person enrols a new one through the link and
    proves it with their password (or chooses one too, when they never enrolled)."""
    user = find_user(db, username)
    enrolled = user.totp_confirmed
    enrollment.clear(rt, db, user, actor=actor, source=source)
    return issue(
        rt, db, user, Purpose.TOTP if enrolled else Purpose.NEW, actor=actor, source=source
    )
