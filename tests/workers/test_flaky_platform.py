"""Pace, don't collide: a platform refusing 30% of requests with 503 and allowing 5 a
second, and a post due every 0.2 s on one account (issue 11).

The issue's figures (300 posts over a minute, each settled within 5 minutes of its time)
are scaled down to 40 posts over 8 s, each settled within a minute: the platform's limits
stay as they are, so the pressure is the same; ``benchmarks/bench_flaky_platform.py`` runs
the full figures. Every 503 to a publish leaves its outcome unknown: the post must be found
by a read-back, never sent twice, and read-backs must not starve for budget.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from benchmarks.scenes import (
    duplicates,
    enqueue_all,
    make_accounts,
    make_people,
    make_posts,
    watch_settling,
)
from sandbox import client as sandbox_client

POSTS, SPAN, BOUND = 40, 8.0, 60.0


def test_every_post_settles_once_within_its_bound_on_a_flaky_limited_platform(
    workers, rt, sandbox_url, tmp_path
):
    config = tmp_path / "postgate.toml"  # an outage is waited out, as by default (6 hours)
    config.write_text(
        config.read_text().replace("retry_horizon_seconds = 0", "retry_horizon_seconds = 600")
    )
    accounts = make_accounts(rt, sandbox_url, ["flaky"])
    start = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=4)
    plan = [(*accounts[0], start + timedelta(seconds=SPAN * n / POSTS)) for n in range(POSTS)]
    posts = make_posts(rt, make_people(rt), plan)
    enqueue_all(rt, posts)
    sandbox_client.set_faults(sandbox_url, rate_limit="5/1", error_rate=0.3)
    sandbox_client.get_stats(sandbox_url, reset=True)
    workers.start()
    workers.start()
    settled = watch_settling(rt, posts, timeout=SPAN + 4 + BOUND)
    stats = sandbox_client.get_stats(sandbox_url)
    doubled, live = duplicates(sandbox_url, ["flaky"])
    assert doubled == 0, live.most_common(3)
    assert settled.unsettled(dict(posts)) == [], {p: settled.status.get(p) for p, _ in posts}
    late = {p: s for p, s in settled.lateness.items() if s > BOUND}
    assert late == {}, late
    waiting = {p: settled.reason[p] for p, _ in posts if settled.status[p] != "published"}
    assert all(waiting.values()), waiting  # waiting for a person who is told why
    assert len(waiting) <= 1, waiting  # and that stays the exception
    assert sum(live.values()) >= POSTS - len(waiting)  # every published post is live
    assert stats["errors_5xx"] > 0  # the platform was as flaky as it should be
    assert stats["rate_limited"] <= stats["requests"] // 20, stats  # paced, not colliding
