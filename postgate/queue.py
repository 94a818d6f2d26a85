"""Putting work on the RQ queues: queue names, job ids and every enqueue's options.

The store decides what is due; Redis only dispatches. Everything that enqueues (the API after
a commit, the publish job retrying or coming back on time, the reconciler, a takedown request)
goes through here, so each kind of job has one id scheme and one set of options.

Job ids are derived from what the job is for: ``publish-<post>-r<revision>`` for the first
attempt and ``publish-<post>-r<revision>-a<attempts>`` for a retry after ``attempts`` platform
attempts, with ``-at<epoch>`` for a job that ran early and comes back on time. Enqueuing the
same thing twice (the API, the reconciler, a restart) yields one job, a job made for an older
revision of a post is recognisably stale, and the reconciler can tell from the store alone which
job should exist. A takedown's runs are ``takedown-<id>-<n>``. Payloads are JSON (ids only),
never pickle.

The jobs themselves live in the ``workers`` package, which builds on this one: they are named
here by their import path, a string RQ resolves in the worker process, so the core enqueues
them without importing them. Jobs already waiting in Redis keep the path they were queued
with, so a job function must not move without keeping the old path working.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from redis import Redis
from rq import Queue, Retry
from rq.exceptions import NoSuchJobError
from rq.job import Job
from rq.serializers import JSONSerializer

from postgate.logs import current_request_id
from postgate.states import WITHDRAWN, PostStatus
from postgate.store.models import Post

if TYPE_CHECKING:  # the runtime hands new notifications to this module after a commit
    from postgate.runtime import Runtime

PUBLISH_QUEUE = "postgate-publish"
TAKEDOWN_QUEUE = "postgate-takedown"
MEDIA_QUEUE = "postgate-media"
NOTIFY_QUEUE = "postgate-notify"
WATCH_QUEUE = "postgate-watch"
# The order workers take them in: takedowns first, then telling people, publishing, the
# watch's readings of accounts without a stream, and reading images' text last.
QUEUES = (TAKEDOWN_QUEUE, NOTIFY_QUEUE, PUBLISH_QUEUE, WATCH_QUEUE, MEDIA_QUEUE)

PUBLISH_FUNCTION = "workers.jobs.publish_post"  # (post_id, revision, attempts)
PUBLISH_TIMEOUT = 120
PUBLISH_RESULT_TTL = 24 * 3600
PUBLISH_FAILURE_TTL = 7 * PUBLISH_RESULT_TTL
# Unexpected exceptions only (database busy, Redis hiccup): platform errors are retried by
# the job itself, with the platform's Retry-After. A rerun re-checks the store, so it is safe.
CRASH_RETRY = Retry(max=3, interval=[5, 30, 120])

TAKEDOWN_FUNCTION = "workers.takedown.run_takedown"  # (takedown_id)
TAKEDOWN_TIMEOUT = 24 * 3600  # rate limits like Mastodon's 30 deletions / 30 min make this long
TAKEDOWN_TTL = 7 * 24 * 3600
# No RQ retry for a takedown: a run that dies leaves the takedown `running` without a lease,
# and the reconciler queues the next run (postgate.services.takedown_dispatch).

MEDIA_TEXT_FUNCTION = "workers.media.read_media_text"  # (media_id)
MEDIA_TEXT_TIMEOUT = 300

REFRESH_FUNCTION = "workers.tokens.refresh_token"  # (account_id)
REFRESH_TIMEOUT = 60

WATCH_POLL_FUNCTION = "workers.watch.poll_account"  # (account_id)
WATCH_POLL_TIMEOUT = 300
WATCH_POLL_TTL = 3600

LIVE_STATUSES = ("queued", "scheduled", "started", "deferred")
WAITING_STATUSES = ("queued", "scheduled", "deferred")


def named_queue(connection: Redis, name: str) -> Queue:
    return Queue(name, connection=connection, serializer=JSONSerializer)


def job_meta() -> dict[str, str]:
    """What a job carries from the request that queued it: its request id, for the logs."""
    request_id = current_request_id()
    return {"request_id": request_id} if request_id else {}


def not_before(when: datetime) -> datetime:
    """``when`` rounded up to a whole second, in UTC.

    RQ's scheduled registry keeps whole seconds and truncates: a job due at 16.7 s would
    run at 16 s, before a platform's rate-limit window reopens (its Retry-After) or
    before the post's scheduled time.
    """
    when = when.astimezone(UTC)
    if when.microsecond:
        when = when.replace(microsecond=0) + timedelta(seconds=1)
    return when


MAX_LOOKAHEAD = 5  # seconds: a job waiting for its post's instant holds a worker meanwhile


def ahead_of(when: datetime, lookahead: int) -> datetime:
    """When a first publish job comes off RQ's schedule: ``lookahead`` seconds (at most
    :data:`MAX_LOOKAHEAD`) before the whole second of ``when``, in UTC.

    RQ's scheduler moves due jobs to the queue once a second, so a job scheduled for the
    post's own instant starts 0 to 1 s late, plus the rounding up :func:`not_before` needs.
    Coming early instead, the job waits for the instant itself (``workers.jobs``) and claims
    the post then, every publish-time check included. Without a look-ahead (0) the job is
    scheduled for the post's instant, rounded up.
    """
    lookahead = min(max(lookahead, 0), MAX_LOOKAHEAD)
    if not lookahead:
        return not_before(when)
    return when.astimezone(UTC).replace(microsecond=0) - timedelta(seconds=lookahead)


def publish_job_id(post_id: int, revision: int, attempts: int = 0) -> str:
    base = f"publish-{post_id}-r{revision}"
    return base if attempts <= 0 else f"{base}-a{attempts}"


def _publish_options(job_id: str, post_id: int, revision: int) -> dict[str, Any]:
    return {
        "job_id": job_id,
        "job_timeout": PUBLISH_TIMEOUT,
        "result_ttl": PUBLISH_RESULT_TTL,
        "failure_ttl": PUBLISH_FAILURE_TTL,
        "retry": CRASH_RETRY,
        "description": f"publish post {post_id} revision {revision}",
        "meta": job_meta(),
    }


def enqueue_publish(
    rt: Runtime,
    post_id: int,
    revision: int,
    when: datetime | None,
    *,
    attempts: int = 0,
    force: bool = False,
) -> str:
    """Schedule the publish job for one revision of a post (idempotent by job id).

    ``attempts`` names the retry the job is for; ``force`` replaces a job RQ still holds
    as live (the reconciler uses it for a job whose worker died).
    """
    job_id = publish_job_id(post_id, revision, attempts)
    existing = _fetch(rt.redis, job_id)
    if existing is not None:
        if not force and job_status(existing) in LIVE_STATUSES:
            return job_id
        _drop(existing)
    args = (PUBLISH_FUNCTION, post_id, revision, attempts)
    options = _publish_options(job_id, post_id, revision)
    q = named_queue(rt.redis, PUBLISH_QUEUE)
    # A first attempt comes ahead of the post's instant and waits for it; a retry keeps the
    # time its backoff (or the platform's Retry-After) asked for.
    start = None if when is None else _publish_start(rt, when, attempts)
    if start is None or start <= datetime.now(UTC):
        q.enqueue(*args, **options)
    else:
        q.enqueue_at(start, *args, **options)
    return job_id


def _publish_start(rt: Runtime, when: datetime, attempts: int) -> datetime:
    if attempts > 0:
        return not_before(when)
    return ahead_of(when, rt.settings.publish_lookahead_seconds)


def reschedule_publish(
    rt: Runtime, post_id: int, revision: int, when: datetime, attempts: int
) -> str:
    """A publish job that ran early comes back at ``when``, under an id of its own."""
    job_id = f"{publish_job_id(post_id, revision, attempts)}-at{int(when.timestamp())}"
    named_queue(rt.redis, PUBLISH_QUEUE).enqueue_at(
        _publish_start(rt, when, attempts),
        PUBLISH_FUNCTION,
        post_id,
        revision,
        attempts,
        **_publish_options(job_id, post_id, revision),
    )
    return job_id


def cancel_publish(rt: Runtime, post_id: int, revision: int) -> None:
    """Remove pending publish jobs of a revision (first attempt and retries).

    A job that already runs stays; it claims the post only while the store still says
    ``scheduled`` at this revision, so it does nothing.
    """
    for attempts in range(rt.settings.publish_max_attempts + 1):
        job = _fetch(rt.redis, publish_job_id(post_id, revision, attempts))
        if job is not None and job_status(job) != "started":
            _drop(job)


def follow_post(rt: Runtime, post: Post, old_revision: int | None = None) -> None:
    """After a commit, make the queues match what the store now says about ``post``.

    ``old_revision`` is the revision an edit replaced, whose jobs go. Raises when Redis
    fails; the caller may ignore it, since the reconciler repairs the queues from the store.
    """
    if old_revision is not None:
        cancel_publish(rt, post.id, old_revision)
    if post.status == PostStatus.SCHEDULED:
        enqueue_publish(rt, post.id, post.revision, post.scheduled_at)
    elif post.status in WITHDRAWN:
        cancel_publish(rt, post.id, post.revision)


def takedown_job_pointer_key(rt: Runtime, takedown_id: int) -> str:
    return rt.key("takedown", takedown_id, "job")


def enqueue_takedown(rt: Runtime, takedown_id: int) -> str:
    """Queue a run of the takedown job; each run gets the next id ``takedown-<id>-<n>``."""
    run = rt.redis.incr(rt.key("takedown", takedown_id, "runs"))
    job_id = f"takedown-{takedown_id}-{run}"
    named_queue(rt.redis, TAKEDOWN_QUEUE).enqueue(
        TAKEDOWN_FUNCTION,
        takedown_id,
        job_id=job_id,
        job_timeout=TAKEDOWN_TIMEOUT,
        result_ttl=TAKEDOWN_TTL,
        failure_ttl=TAKEDOWN_TTL,
        description=f"takedown #{takedown_id} (run {run})",
        meta=job_meta(),
    )
    rt.redis.set(takedown_job_pointer_key(rt, takedown_id), job_id, ex=TAKEDOWN_TTL)
    return job_id


def takedown_job_waiting(rt: Runtime, takedown_id: int) -> bool:
    """Whether the takedown's last queued run is still waiting for a worker."""
    job_id = rt.redis.get(takedown_job_pointer_key(rt, takedown_id))
    if job_id is None:
        return False
    job = _fetch(rt.redis, job_id.decode() if isinstance(job_id, bytes) else job_id)
    return job is not None and job_status(job) in WAITING_STATUSES


def job_status(job: Job) -> str | None:
    """The job's status as RQ holds it now, or None when its hash vanished meanwhile."""
    try:
        status = job.get_status(refresh=True)
    except Exception:  # the hash vanished between fetch and read
        return None
    return str(status.value if hasattr(status, "value") else status)


def _drop(job: Job) -> None:
    try:
        job.cancel()
    except Exception:  # noqa: S110 - a finished or failed job cannot be cancelled; delete it
        pass
    try:
        job.delete()
    except Exception:  # noqa: S110 - already gone
        pass


def _fetch(connection: Redis, job_id: str) -> Job | None:
    try:
        return Job.fetch(job_id, connection=connection, serializer=JSONSerializer)
    except NoSuchJobError:
        return None


def _enqueue_once(
    rt: Runtime,
    queue_name: str,
    function: str,
    arg: int,
    job_id: str,
    *,
    timeout: int,
    description: str,
    ttl: int | None = None,
    retry: Retry | None = CRASH_RETRY,
) -> str:
    """Queue ``function(arg)`` unless a live job of that id is already there; ``ttl`` keeps
    its result and failure that long (the publish jobs' by default)."""
    existing = _fetch(rt.redis, job_id)
    if existing is not None and job_status(existing) in LIVE_STATUSES:
        return job_id
    if existing is not None:
        _drop(existing)
    named_queue(rt.redis, queue_name).enqueue(
        function,
        arg,
        job_id=job_id,
        job_timeout=timeout,
        result_ttl=PUBLISH_RESULT_TTL if ttl is None else ttl,
        failure_ttl=PUBLISH_FAILURE_TTL if ttl is None else ttl,
        retry=retry,
        description=description,
    )
    return job_id


def enqueue_media_text(rt: Runtime, media_id: int) -> str:
    """Queue reading the text of one upload (idempotent: one job per upload at a time)."""
    return _enqueue_once(
        rt,
        MEDIA_QUEUE,
        MEDIA_TEXT_FUNCTION,
        media_id,
        f"media-text-{media_id}",
        timeout=MEDIA_TEXT_TIMEOUT,
        description=f"read the text of media {media_id}",
    )


def enqueue_token_refresh(rt: Runtime, account_id: int) -> str:
    """Queue refreshing one account's OAuth token (one job per account at a time).

    On the publish queue: a token that lapses stops that account's publishing, so it goes
    before reading images' text. The job takes the account's lease and checks again that
    the token is still due (RQ may run it twice, or after another worker refreshed it).
    """
    return _enqueue_once(
        rt,
        PUBLISH_QUEUE,
        REFRESH_FUNCTION,
        account_id,
        f"token-refresh-{account_id}",
        timeout=REFRESH_TIMEOUT,
        description=f"refresh the token of account {account_id}",
    )


NOTIFY_FUNCTION = "workers.notify.deliver_message"  # (outbox_id)
NOTIFY_TIMEOUT = 60


def notify_job_id(outbox_id: int, attempts: int) -> str:
    return f"notify-{outbox_id}-a{attempts}"


def enqueue_notify(
    rt: Runtime, outbox_id: int, attempts: int, when: datetime | None, *, force: bool = False
) -> str:
    """Queue the delivery of one outbox row for its next attempt (idempotent by job id).

    The row is claimed in the store by the job, so a second job for it does nothing."""
    job_id = notify_job_id(outbox_id, attempts)
    existing = _fetch(rt.redis, job_id)
    if existing is not None:
        if not force and job_status(existing) in LIVE_STATUSES:
            return job_id
        _drop(existing)
    options: dict[str, Any] = {
        "job_id": job_id,
        "job_timeout": NOTIFY_TIMEOUT,
        "result_ttl": PUBLISH_RESULT_TTL,
        "failure_ttl": PUBLISH_FAILURE_TTL,
        "description": f"deliver notification {outbox_id}",
    }
    q = named_queue(rt.redis, NOTIFY_QUEUE)
    if when is None or when <= datetime.now(UTC):
        q.enqueue(NOTIFY_FUNCTION, outbox_id, **options)
    else:
        q.enqueue_at(not_before(when), NOTIFY_FUNCTION, outbox_id, **options)
    return job_id


def enqueue_watch_poll(rt: Runtime, account_id: int) -> str:
    """Queue one reading of an account by the watch (one job per account at a time; a
    reading lost with its worker is queued again by the watch's supervisor, not retried)."""
    return _enqueue_once(
        rt,
        WATCH_QUEUE,
        WATCH_POLL_FUNCTION,
        account_id,
        f"watch-poll-{account_id}",
        timeout=WATCH_POLL_TIMEOUT,
        description=f"watch account {account_id}",
        ttl=WATCH_POLL_TTL,
        retry=None,
    )
