"""OTP lockouts that hold: the lock closes the step-up window, and locks in a row escalate
(15 min, 1 h, 4 h, ...) instead of granting five fresh guesses every quarter of an hour."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update

from postgate import otp
from postgate.runtime import Runtime
from postgate.services.otp_check import lock_seconds
from postgate.store.models import AuditEntry, User
from postgate.store.types import utcnow


def _wrong(person) -> str:
    """A code of the person's secret, out of the tolerance window: counted as a failure."""
    return otp.code_at(person.secret, otp.current_step(Runtime.clock()) - 10)


def _guess_until_locked(client, person) -> object:
    """Five wrong codes on a sensitive action; the answer to the fifth."""
    for _ in range(5):
        answer = client.post(
            "/api/v1/me/recovery-codes", json={"otp": _wrong(person)}, headers=person.headers
        )
    return answer


def _lock_passes(rt, username: str) -> None:
    """The current lock runs out (its end moved to the past; its start stays)."""
    with rt.store.transaction() as db:
        db.execute(
            update(User)
            .where(User.username == username)
            .values(otp_locked_until=utcnow() - timedelta(seconds=1))
        )


def test_a_lockout_closes_the_step_up_window(client, actors) -> None:
    """The thief holds a session that proved a code at login: once its guesses lock OTP
    entry, the window it opened must not let sensitive actions through any more."""
    ana = actors.person("ana", "author")
    assert _guess_until_locked(client, ana).status_code == 401
    renewed = client.post("/api/v1/me/recovery-codes", json={}, headers=ana.headers)
    assert renewed.status_code in (401, 429)
    assert "recovery_codes" not in (renewed.get_json() or {})


def test_the_window_stays_closed_after_the_lock_passes(rt, client, actors) -> None:
    ana = actors.person("ana", "author")
    _guess_until_locked(client, ana)
    _lock_passes(rt, "ana")
    renewed = client.post("/api/v1/me/recovery-codes", json={}, headers=ana.headers)
    assert renewed.status_code == 401 and renewed.get_json()["error"] == "otp_required"


def test_lockouts_in_a_row_escalate(rt, client, actors) -> None:
    ana = actors.person("ana", "author")
    waits = []
    for _ in range(3):
        _guess_until_locked(client, ana)
        locked = client.post(
            "/api/v1/me/recovery-codes", json={"otp": ana.code()}, headers=ana.headers
        )
        assert locked.status_code == 429
        waits.append(int(locked.headers["Retry-After"]))
        ana._used_steps.clear()  # the refused code was never accepted
        _lock_passes(rt, "ana")
    assert 800 < waits[0] <= 901
    assert 3500 < waits[1] <= 3601
    assert 14000 < waits[2] <= 14401
    with rt.store.session() as db:
        locks = db.scalars(
            select(AuditEntry).where(AuditEntry.action == "session:otp-locked")
        ).all()
    assert [e.details["lock"] for e in locks] == [1, 2, 3]


def test_an_accepted_code_does_not_reset_the_escalation(rt, client, actors) -> None:
    """The owner logging in between two rounds of a password-holding thief's guesses must
    not hand the thief five fresh guesses at 15 minutes."""
    ana = actors.person("ana", "author")
    _guess_until_locked(client, ana)
    _lock_passes(rt, "ana")
    ok = client.post("/api/v1/me/recovery-codes", json={"otp": ana.code()}, headers=ana.headers)
    assert ok.status_code == 201
    _guess_until_locked(client, ana)
    with rt.store.session() as db:
        user = db.scalar(select(User).where(User.username == "ana"))
    assert user.otp_lockouts == 2
    assert user.otp_locked_until - utcnow() > timedelta(minutes=50)


def test_the_escalation_is_forgotten_a_day_after_the_last_lock(rt, client, actors) -> None:
    ana = actors.person("ana", "author")
    _guess_until_locked(client, ana)
    with rt.store.transaction() as db:
        db.execute(
            update(User)
            .where(User.username == "ana")
            .values(
                otp_locked_at=utcnow() - timedelta(days=2),
                otp_locked_until=utcnow() - timedelta(days=2) + timedelta(minutes=15),
            )
        )
    _guess_until_locked(client, ana)
    with rt.store.session() as db:
        user = db.scalar(select(User).where(User.username == "ana"))
    assert user.otp_lockouts == 1
    assert user.otp_locked_until - utcnow() < timedelta(minutes=16)


def test_lock_lengths_grow_fourfold_up_to_the_cap(rt) -> None:
    settings = rt.settings
    assert [lock_seconds(settings, n) for n in range(1, 7)] == [
        900,
        3600,
        14400,
        57600,
        86400,
        86400,
    ]
    assert lock_seconds(settings, 10_000) == 86400
