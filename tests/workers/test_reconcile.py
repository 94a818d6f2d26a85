"""The reconciler repairs Redis from the store (invariant 6) without publishing twice."""

from __future__ import annotations

import os
import signal
import time

from tests.helpers import postgate_cli


def test_flushed_redis_then_reconcile_publishes_every_due_post_once(workers, poster, redis, env):
    """ "Redis was flushed" is simulated with FLUSHDB on the tests' own Redis database (never
    FLUSHALL on a shared server): every queued and scheduled job is gone. One post was
    published before the flush and must not be published again."""
    workers.start()
    done = poster.schedule("Déjà publié avant la panne.", seconds=None)
    poster.wait_status(done, "published", timeout=10)
    texts = [f"Annonce numéro {n} après la panne." for n in range(4)]
    due_now = poster.schedule(texts[0], seconds=None)  # queued, not yet run
    later = [poster.schedule(text, seconds=3) for text in texts[1:]]
    redis.flushdb()
    result = postgate_cli(["reconcile"], {**os.environ, **env}, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "re-enqueued" in result.stdout
    for post_id in [due_now, *later]:
        poster.wait_status(post_id, "published", timeout=12)
    time.sleep(1)
    live = [p["text"] for p in poster.live()]
    assert sorted(live) == sorted(["Déjà publié avant la panne.", *texts])


def test_reconcile_once_enqueues_missing_jobs_idempotently(rt, poster, redis):
    from rq.job import Job

    from postgate.queue import publish_job_id
    from workers.reconcile import reconcile_once

    post_id = poster.schedule("Programmé pour plus tard.", seconds=600)
    redis.flushdb()
    assert reconcile_once(rt).enqueued == 1
    assert Job.exists(publish_job_id(post_id, 1), connection=redis)
    assert reconcile_once(rt).enqueued == 0


def test_a_resolver_killed_holding_the_read_back_lease_holds_the_next_up_seconds(rt, poster):
    """A worker killed while its reconciler pass held an account's read-back lease (the
    pass holds it about every second) must not stall that account's stuck posts for half a
    minute: the next resolver gets through within the lease, well under 10 s."""
    from postgate.states import PostStatus
    from postgate.store.models import Post
    from workers.reconcile import resolve_if_stale
    from workers.settling import Resolution, read_back_lease

    post_id = poster.schedule("Perdue avec le lecteur.", seconds=600)
    with rt.store.transaction() as db:  # a worker died mid-call: nobody holds the claim
        post = db.get(Post, post_id)
        post.status, post.claim_token, post.claimed_at = PostStatus.PUBLISHING, "gone", None
        account_id = post.account_id
    child = os.fork()
    if child == 0:  # the resolver: takes the lease and dies holding it
        try:
            read_back_lease(rt, account_id).acquire()
        finally:
            os.kill(os.getpid(), signal.SIGKILL)
    os.waitpid(child, 0)
    assert rt.redis.exists(rt.key("readback", account_id)), "the dead resolver's lease"
    started = time.monotonic()
    while (outcome := resolve_if_stale(rt, post_id, enqueue=False)) == Resolution.BUSY:
        assert time.monotonic() - started < 40, "the dead resolver's lease never ended"
    assert outcome == Resolution.RESCHEDULED  # read back, not on the platform: again
    assert time.monotonic() - started < 10
    assert poster.post(post_id).status == PostStatus.SCHEDULED
