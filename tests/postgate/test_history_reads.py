"""The reads the watch and the takedowns make for each post a platform lists go through the
index on the account and the platform's id, not through every post the account ever had
(one poll of 40 posts took 0.84 s after 100,000 published posts: benchmarks/bench_history.py)."""

from __future__ import annotations

from datetime import UTC, datetime

from postgate.platforms.base import RemotePost
from postgate.services import watch
from postgate.store.models import Account
from tests.helpers import make_account
from tests.postgate.service_people import people
from tests.store_plans import history, plans_of_reads

INDEX = "ix_posts_account_remote_id"


def _listed(n: int) -> list[RemotePost]:
    at = datetime(2030, 6, 3, 12, 0, tzinfo=UTC)
    return [
        RemotePost(remote_id=f"r{i}", text=f"post {i}", created_at=at, url=None) for i in range(n)
    ]


def test_the_watch_finds_a_listed_post_by_its_platform_id_through_the_index(rt) -> None:
    make_account(rt, "masto", platform="mastodon", base_url="https://m.example")
    people(rt, ana=("author",))
    history(rt, "masto", "ana", 3000)
    with rt.store.transaction() as db:
        account = db.query(Account).one()
        remote = _listed(1)[0]
        reads = plans_of_reads(db, lambda: watch.judge_post(db, account, remote))
        by_id = [plan for statement, plan in reads if "remote_id =" in statement]
        assert by_id and all(INDEX in plan for plan in by_id), reads
        deleted = plans_of_reads(db, lambda: watch.finding_for_delete(db, account, "r1"))
        assert deleted and all(INDEX in plan for _, plan in deleted), deleted
        listed = {r.remote_id for r in _listed(3)}
        among = plans_of_reads(db, lambda: watch.published_among(db, account, listed))
        assert among and all(INDEX in plan for _, plan in among), among
