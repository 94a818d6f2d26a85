"""TOTP (RFC 6238) helpers and the service that accepts a code once, with a lock."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from postgate import otp
from postgate.errors import OtpInvalid, OtpRequired, RateLimited
from postgate.services import recovery_codes
from postgate.services.otp_check import verify_code
from postgate.services.users import create_user
from postgate.store.models import AuditEntry, User
from postgate.store.types import utcnow

SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
NOW = 1_800_000_000.0  # the service's checks below run at this time, whatever the real one
STEP = otp.current_step(NOW)


def test_rfc6238_vector() -> None:
    # RFC 6238 Appendix B, SHA-1, T = 59 s: 94287082 (8 digits) -> last 6 digits.
    rfc_secret = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"  # base32 of "12345678901234567890"
    assert otp.code_at(rfc_secret, 59 // 30) == "287082"


def test_one_step_drift_either_way_is_accepted() -> None:
    now = 1_000_000 * 30.0
    step = otp.current_step(now)
    for offset in (-1, 0, 1):
        assert otp.matching_step(SECRET, otp.code_at(SECRET, step + offset), now) == step + offset


def test_two_steps_away_is_out_of_sync_and_garbage_is_wrong() -> None:
    now = 1_000_000 * 30.0
    step = otp.current_step(now)
    with pytest.raises(otp.OutOfSyncCode):
        otp.matching_step(SECRET, otp.code_at(SECRET, step - 2), now)
    with pytest.raises(otp.InvalidCode):
        otp.matching_step(SECRET, "12345", now)
    wrong = f"{(int(otp.code_at(SECRET, step)) + 1) % 1_000_000:06d}"
    with pytest.raises(otp.InvalidCode):
        otp.matching_step(SECRET, wrong, now)


def test_provisioning_uri_names_issuer_and_user() -> None:
    uri = otp.provisioning_uri(SECRET, "ana")
    assert uri.startswith("otpauth://totp/Postgate:ana?")
    assert "issuer=Postgate" in uri


@pytest.fixture
def user(rt):
    with rt.store.transaction() as db:
        created = create_user(rt, db, "otto", ["reviewer"], password="a long enough passphrase")
        return created.user.id, created.totp_secret


def _failures(rt, user_id: int) -> tuple[int, object]:
    with rt.store.session() as db:
        row = db.get(User, user_id)
        return row.otp_failures, row.otp_locked_until


def test_code_is_accepted_once(rt, user) -> None:
    user_id, secret = user
    code = otp.code_at(secret, STEP)
    assert verify_code(rt, user_id, code, now=NOW) == STEP
    with pytest.raises(OtpInvalid, match="used already"):
        verify_code(rt, user_id, code, now=NOW + 10)


def test_older_code_after_newer_is_refused(rt, user) -> None:
    user_id, secret = user
    verify_code(rt, user_id, otp.code_at(secret, STEP), now=NOW)
    with pytest.raises(OtpInvalid):
        verify_code(rt, user_id, otp.code_at(secret, STEP - 1), now=NOW)


def test_expired_code_is_refused(rt, user) -> None:
    user_id, secret = user
    with pytest.raises(OtpInvalid, match="out of sync"):
        verify_code(rt, user_id, otp.code_at(secret, STEP - 2), now=NOW)


def test_the_next_code_is_checked_at_the_next_step_without_waiting(rt, user) -> None:
    """The check runs at the time it is given: a code two steps ahead is out of sync now and
    accepted 60 s later, which the test reaches by saying so rather than by waiting."""
    user_id, secret = user
    verify_code(rt, user_id, otp.code_at(secret, STEP), now=NOW)
    ahead = otp.code_at(secret, STEP + 2)
    with pytest.raises(OtpInvalid, match="out of sync"):
        verify_code(rt, user_id, ahead, now=NOW)
    assert verify_code(rt, user_id, ahead, now=NOW + 2 * otp.INTERVAL) == STEP + 2


def test_the_runtime_clock_is_the_default(rt, user, totp_clock) -> None:
    user_id, secret = user
    totp_clock.advance(5)  # five steps from real time: only the runtime's clock is there
    step = totp_clock.step()
    assert verify_code(rt, user_id, otp.code_at(secret, step)) == step


def test_missing_code_is_required(rt, user) -> None:
    with pytest.raises(OtpRequired):
        verify_code(rt, user[0], " ")


def test_lock_after_max_failures_then_expiry(rt, user) -> None:
    user_id, secret = user
    for _ in range(rt.settings.otp_max_failures):
        with pytest.raises(OtpInvalid):
            verify_code(rt, user_id, otp.code_at(secret, STEP - 5), now=NOW)
    with pytest.raises(RateLimited) as locked:
        verify_code(rt, user_id, otp.code_at(secret, STEP), now=NOW)
    assert 800 < locked.value.retry_after <= 901
    with rt.store.transaction() as db:
        db.execute(
            update(User)
            .where(User.id == user_id)
            .values(otp_locked_until=utcnow() - timedelta(seconds=1))
        )
    verify_code(rt, user_id, otp.code_at(secret, STEP), now=NOW)
    assert _failures(rt, user_id) == (0, None)
    with rt.store.session() as db:
        actions = db.scalars(select(AuditEntry.action)).all()
    assert actions.count("session:otp-failure") == rt.settings.otp_max_failures
    assert "session:otp-locked" in actions


def test_lock_duration_is_configurable(rt, user) -> None:
    from postgate.runtime import Runtime

    short = Runtime(rt.settings.with_overrides(otp_max_failures=2, otp_lock_seconds=1))
    user_id, secret = user
    for _ in range(2):
        with pytest.raises(OtpInvalid):
            verify_code(short, user_id, otp.code_at(secret, STEP - 5), now=NOW)
    _, until = _failures(rt, user_id)
    assert until is not None and until - utcnow() <= timedelta(seconds=1)


def test_recovery_code_works_once_and_only_at_login(rt, user) -> None:
    user_id, _ = user
    with rt.store.transaction() as db:
        codes = recovery_codes.replace_recovery_codes(db, user_id)
    assert len(codes) == 10 and len(set(codes)) == 10
    with pytest.raises(OtpInvalid):
        verify_code(rt, user_id, codes[0])  # not allowed for step-up
    verify_code(rt, user_id, codes[0].upper(), allow_recovery=True)
    with pytest.raises(OtpInvalid, match="recovery code"):
        verify_code(rt, user_id, codes[0], allow_recovery=True)
    with rt.store.session() as db:
        assert recovery_codes.remaining_recovery_codes(db, user_id) == 9


def test_recovery_codes_are_stored_hashed(rt, user) -> None:
    from postgate.store.models import RecoveryCode

    with rt.store.transaction() as db:
        codes = recovery_codes.replace_recovery_codes(db, user[0])
        stored = db.scalars(select(RecoveryCode.code_hash)).all()
    for code in codes:
        assert all(recovery_codes.normalise_recovery_code(code) not in h for h in stored)
        assert code not in stored


def test_step_up_code_stays_used_even_if_a_view_merges_its_stale_user(rt, user, totp_clock) -> None:
    from postgate.services.sessions import step_up

    user_id, secret = user
    with rt.store.session() as db:
        request_copy = db.get(User, user_id)
        db.expunge_all()
    code = otp.code_at(secret, totp_clock.step())
    step_up(rt, request_copy, None, code)
    with rt.store.transaction() as db:
        db.merge(request_copy)  # what several views do with the request's user
    with pytest.raises(OtpInvalid, match="used already"):
        verify_code(rt, user_id, code)
