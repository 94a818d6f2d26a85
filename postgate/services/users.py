"""Creating users and changing their roles."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from postgate import otp, passwords
from postgate.audit import Event
from postgate.errors import Conflict, NotFound, ValidationFailed
from postgate.runtime import Runtime
from postgate.states import Role
from postgate.store.models import ROLES, User

USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")


@dataclass(frozen=True)
class NewUser:
    """What the creator sees once: the password (when generated) and the TOTP secret."""

    user: User
    password: str | None
    totp_secret: str

    @property
    def otpauth_uri(self) -> str:
        return otp.provisioning_uri(self.totp_secret, self.user.username)


def normalise_roles(roles: Iterable[str]) -> list[str]:
    chosen = sorted({r.strip().lower() for r in roles if r and r.strip()})
    unknown = [r for r in chosen if r not in ROLES]
    if unknown:
        raise ValidationFailed(
            "unknown role {role!r}; roles are {names}",
            field="roles",
            role=unknown[0],
            names=", ".join(ROLES),
        )
    if not chosen:
        raise ValidationFailed("a user needs at least one role", field="roles")
    return chosen


def find_user(db: Session, username: str) -> User:
    user = db.scalar(select(User).where(User.username == username))
    if user is None:
        raise NotFound("no user named {name!r}", field="username", name=username)
    return user


def create_user(
    rt: Runtime,
    db: Session,
    username: str,
    roles: Iterable[str],
    *,
    password: str | None = None,
    actor: str = "system",
    source: str = "",
) -> NewUser:
    """Create a user with a TOTP secret; the password is generated when none is given."""
    username = (username or "").strip().lower()
    if not USERNAME.match(username):
        raise ValidationFailed(
            "a user name is 2 to 64 characters: lower-case letters, digits, '.', '_' or '-'",
            field="username",
        )
    role_list = normalise_roles(roles)
    generated = password is None
    password = passwords.generate_password() if password is None else password
    passwords.check_policy(password, username)
    if db.scalar(select(User.id).where(User.username == username)) is not None:
        raise Conflict("a user named {name!r} exists already", field="username", name=username)
    secret = otp.generate_secret()
    user = User(
        username=username,
        password_hash=passwords.hash_password(password),
        roles=" ".join(role_list),
        totp_secret_enc=rt.vault.encrypt(secret),
    )
    db.add(user)
    db.flush()
    rt.audit(
        db,
        Event.USER_CREATE,
        actor=actor,
        target=f"user:{username}",
        details={"roles": role_list},
        source=source,
    )
    return NewUser(user=user, password=password if generated else None, totp_secret=secret)


def set_roles(
    rt: Runtime, db: Session, username: str, roles: Iterable[str], *, actor: str, source: str = ""
) -> User:
    """Replace the user's roles; the last active admin keeps the admin role."""
    user = find_user(db, username)
    before = sorted(user.role_set)
    after = normalise_roles(roles)
    if Role.ADMIN in before and Role.ADMIN not in after and not user.disabled:
        if _active_admins(db) <= 1:
            raise Conflict("this is the last active admin; make someone else admin first")
    user.roles = " ".join(after)
    rt.audit(
        db,
        Event.USER_ROLES,
        actor=actor,
        target=f"user:{username}",
        details={"before": before, "after": sorted(user.role_set)},
        source=source,
    )
    return user


def _active_admins(db: Session) -> int:
    users = db.scalars(select(User).where(User.disabled.is_(False)))
    return sum(1 for user in users if user.has_role(Role.ADMIN))


def list_users(db: Session) -> list[User]:
    return list(db.scalars(select(User).order_by(User.username)))


def user_to_dict(user: User) -> dict[str, object]:
    """What the API shows of a user: never a hash or a secret."""
    return {
        "username": user.username,
        "roles": sorted(user.role_set),
        "disabled": user.disabled,
        "totp_enrolled": user.totp_confirmed,
        "otp_locked_until": user.otp_locked_until.isoformat() if user.otp_locked_until else None,
        "created_at": user.created_at.isoformat(),
    }
