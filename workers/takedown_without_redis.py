"""Takedowns carry on while Redis does not answer: the reconcilers run them themselves.

A takedown's job reaches a worker through Redis; the store says which takedowns run. When
Redis is away (stopped, failed over, or killed by the attacker who took the accounts), the
request is still accepted and stored (:mod:`postgate.services.takedowns`), but no job can be
queued or fetched. So every worker's reconciler (:mod:`workers.runner`) looks each second:
while Redis does not answer, it starts each running takedown in a thread of its own, as a
run under the store's lease (:func:`workers.takedown.execute`), which only one process gets.
Its platform calls go unpaced by the request budget (kept in Redis) but still honour the
platform's own limits (:class:`workers.pacing.Pacer`). When Redis answers again the rescue
loop finds the run's Redis lease (its heartbeat writes it back) and leaves it be.
"""

from __future__ import annotations

import logging
import threading

from redis.exceptions import RedisError
from sqlalchemy import select

from postgate.runtime import Runtime
from postgate.states import TakedownStatus
from postgate.store.models import Takedown
from workers import takedown

log = logging.getLogger("postgate.takedown")

_running: dict[int, threading.Thread] = {}  # this process's runs, by takedown
_lock = threading.Lock()


def redis_answers(rt: Runtime) -> bool:
    try:
        return bool(rt.redis.ping())
    except RedisError:
        return False


def run_takedowns_without_redis(rt: Runtime) -> list[int]:
    """Start a run for each running takedown this process does not run yet, if Redis does
    not answer; the ids started (the store's lease may still turn a run away at once)."""
    if redis_answers(rt):
        return []
    with rt.store.session() as db:
        running = list(
            db.scalars(select(Takedown.id).where(Takedown.status == TakedownStatus.RUNNING))
        )
    started = []
    with _lock:
        for takedown_id in running:
            thread = _running.get(takedown_id)
            if thread is not None and thread.is_alive():
                continue
            thread = threading.Thread(
                target=_run, args=(rt, takedown_id), name=f"takedown-{takedown_id}", daemon=True
            )
            _running[takedown_id] = thread
            thread.start()
            started.append(takedown_id)
    return started


def _run(rt: Runtime, takedown_id: int) -> None:
    try:
        outcome = takedown.execute(rt, takedown_id, without_redis=True)
        if "skipped" not in outcome:
            log.warning("takedown %s ran without Redis: %s", takedown_id, outcome)
    except Exception:
        log.exception("takedown %s: the run without Redis failed; it is tried again", takedown_id)
