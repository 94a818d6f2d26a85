"""A takedown run's lease: short, so a dead run is resumed within seconds, yet a live run that
stalled past it (a busy machine, a Redis flush) carries on unless another run took over."""

from __future__ import annotations

from tests.helpers import wait_until
from workers import takedown
from workers.lease import Lease


def _run_lease(rt) -> Lease:
    lease = Lease(
        rt.redis,
        takedown.lease_key(rt, 7),
        seconds=0.6,
        heartbeat=0.2,
        survive_flush=True,
    )
    assert lease.acquire()
    return lease


def test_a_lease_that_expired_with_nobody_else_is_taken_back(rt):
    lease = _run_lease(rt)
    try:
        rt.redis.delete(lease.key)  # what a stall past the lease, or a flush, leaves
        wait_until(lambda: rt.redis.get(lease.key) == lease.token.encode(), 5, "taken back")
        assert not lease.lost.is_set()
    finally:
        lease.release()


def test_a_lease_another_run_took_is_lost(rt):
    lease = _run_lease(rt)
    try:
        rt.redis.set(lease.key, "another-run", px=5000)
        wait_until(lease.lost.is_set, 5, "the run to learn it lost the lease")
        assert rt.redis.get(lease.key) == b"another-run"
    finally:
        lease.release()
    assert rt.redis.get(lease.key) == b"another-run"  # releasing leaves the other run's key


def test_the_takedown_run_uses_a_lease_that_survives_a_stall(rt, monkeypatch):
    made: list[Lease] = []
    original = Lease.__init__

    def spy(self, *args, **kwargs):
        original(self, *args, **kwargs)
        made.append(self)

    monkeypatch.setattr(Lease, "__init__", spy)
    takedown.execute(rt, 12345)  # no such takedown: the run ends at once
    assert made and made[0]._renew == Lease._RENEW_OR_CREATE
