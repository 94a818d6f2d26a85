"""The store side of a consent in progress: one :class:`OAuthFlow` row per consent.

Only the SHA-256 of the ``state`` is kept, so reading the table gives nobody a usable state.
:func:`take` uses a flow up in one conditional ``UPDATE``: once, by the session that started
it, before it expires. Every other case is refused, each with its own 4xx and an
``account:connect-refused`` audit entry (:func:`refuse`, committed whatever follows); a state
shown by another session uses the flow up too, since its code may be in other hands.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta

from sqlalchemy import select, update

from postgate.audit import Event
from postgate.errors import Conflict, Forbidden, MalformedRequest, NotFound, PostgateError
from postgate.runtime import Runtime
from postgate.store.db import rows_changed
from postgate.store.models import AuthToken, OAuthFlow, User
from postgate.store.types import utcnow


def state_hash(state: str) -> str:
    """What the store keeps of a state."""
    return hashlib.sha256(state.encode()).hexdigest()


def refuse(rt: Runtime, user: User, why: str, source: str, target: str = "oauth") -> None:
    """Audit a refused callback in a transaction of its own: it is kept whatever follows."""
    with rt.store.transaction() as db:
        rt.audit(
            db,
            Event.ACCOUNT_CONNECT_REFUSED,
            actor=user.username,
            target=target,
            source=source,
            details={"reason": why},
            result="refused",
        )


def take(rt: Runtime, user: User, session: AuthToken, state: str, source: str) -> OAuthFlow:
    """The flow ``state`` names, used up now: once, by the session that started it."""
    now = utcnow()
    digest = state_hash(state)
    with rt.store.transaction() as db:
        taken = rows_changed(
            db,
            update(OAuthFlow)
            .where(
                OAuthFlow.state_hash == digest,
                OAuthFlow.session_id == session.id,
                OAuthFlow.used_at.is_(None),
                OAuthFlow.expires_at > now,
            )
            .values(
                used_at=now, expires_at=now + timedelta(seconds=rt.settings.oauth_state_seconds)
            )
            .execution_options(synchronize_session=False),
        )
        flow = db.scalar(select(OAuthFlow).where(OAuthFlow.state_hash == digest))
        if flow is not None:
            db.expunge(flow)
        if taken != 1 and flow is not None and flow.used_at is None:
            # Shown by another session: the code may be in someone else's hands; burn it.
            db.execute(update(OAuthFlow).where(OAuthFlow.id == flow.id).values(used_at=now))
    if taken == 1 and flow is not None:
        return flow
    error = why_not(flow, session, now)
    refuse(rt, user, error.message, source, f"account:{flow.account_name}" if flow else "oauth")
    raise error


def why_not(flow: OAuthFlow | None, session: AuthToken, now: datetime) -> PostgateError:
    if flow is None:
        return MalformedRequest("unknown state: this consent was not started here", field="state")
    if flow.session_id != session.id:
        return Forbidden("this consent was started in another session", field="state")
    if flow.used_at is not None:
        return Conflict("this consent was used already; start again", field="state")
    return Conflict("this consent expired; start again", field="state")


def waiting_flow(rt: Runtime, session: AuthToken | None, flow_id: int) -> OAuthFlow:
    """A flow of this session, taken by its callback, waiting for the admin's pick (else 404)."""
    with rt.store.session() as db:
        flow = db.get(OAuthFlow, flow_id)
        if (
            flow is None
            or session is None
            or flow.session_id != session.id
            or flow.used_at is None
            or flow.finished_at is not None
            or flow.choices is None
            or flow.expires_at <= utcnow()
        ):
            raise NotFound("no consent waits for a choice here", field="flow")
        db.expunge(flow)
        return flow
