"""Prometheus metrics, computed at scrape time from the store and Redis.

Every figure comes from state shared by all processes (the store, Redis), not from counters
held in one process's memory: any web process, on any machine, answers a scrape with the
same numbers, so gunicorn's several processes need no multi-process directory, and a worker
that dies takes no count with it. Each source is read on its own; when one does not answer,
``postgate_source_up{source=...}`` is 0 and the others are still reported.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)
from prometheus_client.registry import Collector
from rq.registry import FailedJobRegistry, ScheduledJobRegistry, StartedJobRegistry
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from postgate import audit_checkpoint
from postgate.audit import Event
from postgate.heartbeat import STALE_BEATS
from postgate.observability import counters
from postgate.queue import QUEUES, named_queue
from postgate.runtime import Runtime
from postgate.states import PostStatus
from postgate.store.models import (
    Account,
    AuditEntry,
    AuditHead,
    Post,
    Takedown,
    TakedownItem,
    WorkerHeartbeat,
)
from postgate.store.types import utcnow

log = logging.getLogger("postgate.metrics")

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
LATENESS_BUCKETS = (0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0, 60.0, 300.0, 900.0, 3600.0)

# Audit actions an operator alerts on, each also exposed under a name of its own.
NAMED_AUDIT_COUNTERS = {
    "login_failures": (Event.SESSION_LOGIN_FAILURE, "Failed logins (wrong password or code)."),
    "otp_failures": (Event.SESSION_OTP_FAILURE, "Wrong, replayed or missing TOTP codes."),
    "otp_lockouts": (Event.SESSION_OTP_LOCKED, "Users whose OTP entry was locked."),
    "rate_limited": (Event.ACCESS_RATE_LIMITED, "Requests refused by a rate limit or lock."),
    "forbidden": (Event.ACCESS_FORBIDDEN, "Requests refused for lack of a role (403)."),
    "watch_alerts": (Event.WATCH_ALERT, "Things the watch saw that Postgate did not do."),
}


def render(rt: Runtime) -> bytes:
    """The metrics page, in Prometheus' text format."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(PostgateCollector(rt))
    return generate_latest(registry)


class PostgateCollector(Collector):
    """One scrape: each section reads one source and yields its metric families."""

    def __init__(self, rt: Runtime, now: Callable[[], datetime] = utcnow) -> None:
        self._rt = rt
        self._now = now

    def collect(self) -> Iterator[Metric]:
        up = GaugeMetricFamily(
            "postgate_source_up", "1 when the source answered this scrape.", labels=["source"]
        )
        store_ok, store_metrics = _guarded(self._from_store)
        redis_ok, redis_metrics = _guarded(self._from_redis)
        up.add_metric(["store"], float(store_ok))
        up.add_metric(["redis"], float(redis_ok))
        yield up
        yield from store_metrics
        yield from redis_metrics
        yield from self._from_checkpoints()

    def _from_store(self) -> list[Metric]:
        with self._rt.store.session() as db:
            return [
                *_posts(db, self._now()),
                *_takedowns(db),
                *_audit(db),
                *_workers(db, self._now(), self._rt.settings.heartbeat_seconds),
            ]

    def _from_redis(self) -> list[Metric]:
        return [*_queues(self._rt), *_platform_errors(self._rt), *_notifications(self._rt)]

    def _from_checkpoints(self) -> Iterator[Metric]:
        folder = self._rt.settings.checkpoints_path
        try:
            checkpoint = audit_checkpoint.latest_checkpoint(folder, self._rt.audit_key)
        except Exception as exc:  # unreadable or forged: reported as missing, and logged
            log.warning("audit checkpoint unreadable for metrics: %s", exc)
            checkpoint = None
        if checkpoint is None:
            return
        age = GaugeMetricFamily(
            "postgate_audit_checkpoint_age_seconds",
            "Seconds since the newest signed audit checkpoint this process can read.",
        )
        age.add_metric([], max(0.0, (self._now() - checkpoint.written_at).total_seconds()))
        yield age


def _guarded(read: Callable[[], list[Metric]]) -> tuple[bool, list[Metric]]:
    try:
        return True, read()
    except Exception as exc:
        log.warning("metrics source failed: %s: %s", type(exc).__name__, exc)
        return False, []


def _posts(db: Session, now: datetime) -> Iterable[Metric]:
    by_status = GaugeMetricFamily(
        "postgate_posts", "Posts by status and account.", labels=["status", "account"]
    )
    rows = db.execute(
        select(Post.status, Account.name, func.count())
        .join(Account, Post.account_id == Account.id)
        .group_by(Post.status, Account.name)
    ).all()
    for status, account, number in rows:
        by_status.add_metric([status, account], number)
    yield by_status
    claims = db.execute(
        select(func.count(), func.min(Post.claimed_at)).where(Post.status == PostStatus.PUBLISHING)
    ).one()
    outstanding = GaugeMetricFamily(
        "postgate_claims_outstanding", "Posts a worker claimed and has not settled yet."
    )
    outstanding.add_metric([], claims[0])
    yield outstanding
    oldest = GaugeMetricFamily(
        "postgate_oldest_claim_age_seconds",
        "Age of the oldest unsettled claim (a post waiting for a worker or a person).",
    )
    oldest.add_metric([], 0.0 if claims[1] is None else (now - claims[1]).total_seconds())
    yield oldest
    yield _lateness(db)


def _lateness(db: Session) -> Metric:
    """Published minus scheduled time of every post published on schedule."""
    rows = db.execute(
        select(Post.scheduled_at, Post.published_at).where(
            Post.published_at.is_not(None), Post.scheduled_at.is_not(None)
        )
    ).all()
    late = [
        max(0.0, (published - scheduled).total_seconds())
        for scheduled, published in rows
        if scheduled is not None and published is not None
    ]
    buckets = [(str(bound), sum(1 for x in late if x <= bound)) for bound in LATENESS_BUCKETS]
    buckets.append(("+Inf", len(late)))
    family = HistogramMetricFamily(
        "postgate_publish_lateness_seconds",
        "How long after its scheduled time each post was published.",
    )
    family.add_metric([], buckets, sum_value=sum(late))
    return family


def _takedowns(db: Session) -> Iterable[Metric]:
    by_status = GaugeMetricFamily("postgate_takedowns", "Takedowns by status.", labels=["status"])
    for status, number in db.execute(
        select(Takedown.status, func.count()).group_by(Takedown.status)
    ):
        by_status.add_metric([status], number)
    yield by_status
    items = GaugeMetricFamily(
        "postgate_takedown_items",
        "Posts found by takedowns, by outcome (pending = not deleted yet; still_live and "
        "unverified are gaps a person must check).",
        labels=["outcome"],
    )
    rows = db.execute(select(TakedownItem.outcome, func.count()).group_by(TakedownItem.outcome))
    for outcome, number in rows:
        items.add_metric([outcome], number)
    yield items


def _audit(db: Session) -> Iterable[Metric]:
    rows = db.execute(
        select(AuditEntry.action, AuditEntry.result, func.count()).group_by(
            AuditEntry.action, AuditEntry.result
        )
    ).all()
    events = CounterMetricFamily(
        "postgate_audit_events", "Audit entries by action and result.", labels=["action", "result"]
    )
    by_action: dict[str, int] = {}
    for action, result, number in rows:
        events.add_metric([action, result], number)
        by_action[action] = by_action.get(action, 0) + number
    yield events
    for name, (event, documentation) in NAMED_AUDIT_COUNTERS.items():
        counter = CounterMetricFamily(f"postgate_{name}", documentation)
        counter.add_metric([], by_action.get(event.value, 0))
        yield counter
    head = db.scalar(select(AuditHead.seq))
    seq = GaugeMetricFamily("postgate_audit_head_seq", "Sequence number of the newest audit entry.")
    seq.add_metric([], head or 0)
    yield seq


def _workers(db: Session, now: datetime, period: int) -> Iterable[Metric]:
    rows = db.execute(
        select(WorkerHeartbeat.name, WorkerHeartbeat.beat_at, WorkerHeartbeat.stopped_at)
    )
    states = {"alive": 0, "stale": 0, "stopped": 0}
    ages = GaugeMetricFamily(
        "postgate_worker_heartbeat_age_seconds",
        "Seconds since each known worker's last heartbeat.",
        labels=["worker"],
    )
    for name, beat_at, stopped_at in rows:
        age = (now - beat_at).total_seconds()
        state = "stopped" if stopped_at else "stale" if age > STALE_BEATS * period else "alive"
        states[state] += 1
        if state != "stopped":
            ages.add_metric([name], max(0.0, age))
    family = GaugeMetricFamily("postgate_workers", "Known workers by state.", labels=["state"])
    for state, number in states.items():
        family.add_metric([state], number)
    yield family
    yield ages


def _queues(rt: Runtime) -> Iterable[Metric]:
    family = GaugeMetricFamily(
        "postgate_queue_jobs", "Jobs in each queue by state.", labels=["queue", "state"]
    )
    for name in QUEUES:
        queue = named_queue(rt.redis, name)
        family.add_metric([name, "queued"], queue.count)
        for state, registry in (
            ("scheduled", ScheduledJobRegistry),
            ("started", StartedJobRegistry),
            ("failed", FailedJobRegistry),
        ):
            family.add_metric([name, state], registry(queue=queue).count)
    yield family


def _platform_errors(rt: Runtime) -> Iterable[Metric]:
    return _redis_counter(
        rt,
        counters.PLATFORM_ERRORS,
        "Errors platforms answered, by platform and kind (retryable, permanent, credentials).",
        ["platform", "kind"],
    )


def _notifications(rt: Runtime) -> Iterable[Metric]:
    return _redis_counter(
        rt,
        counters.NOTIFICATIONS,
        "Notification delivery attempts, by channel kind (user, org, env, email, inapp) and "
        "the message's status after it (sent, skipped, pending = to retry, failed).",
        ["channel", "result"],
    )


def _redis_counter(
    rt: Runtime, metric: str, description: str, label_names: list[str]
) -> Iterable[Metric]:
    """``postgate_<metric>`` from the counter of that name kept in Redis."""
    family = CounterMetricFamily(f"postgate_{metric}", description, labels=label_names)
    for labels, number in counters.read(rt.redis, rt.settings.redis_prefix, metric):
        family.add_metric([labels.get(name, "") for name in label_names], number)
    yield family
