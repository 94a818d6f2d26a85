"""Worker heartbeats: each worker says it is alive, and a health check asks whether it did.

A container's health check runs ``postgate worker --check`` beside the worker it watches
(same host name). The worker writes its beat to the store and to Redis, each on its own, so
the check still has an answer when one of them is unreachable, and the store keeps a list
of workers an operator can read. A beat is stale after :data:`STALE_BEATS` missed periods;
a worker that stops warmly records that it stopped, so it reads as stopped, not as stale.

Worker names default to ``HOST.PID``: unique on a machine, and stable for a container whose
worker runs as its first process. ``--check`` without a name asks about this host's newest
beat, which is exactly the worker of a one-worker container; where several workers share
a machine, give each a ``--name`` and check each by name.
"""

from __future__ import annotations

import json
import logging
import os
import socket
from dataclasses import asdict, dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, select

from postgate import __version__
from postgate.runtime import Runtime
from postgate.store.models import WorkerHeartbeat
from postgate.store.types import utcnow

log = logging.getLogger("postgate.heartbeat")

STALE_BEATS = 3  # missed periods before a beat counts as stale
FORGET_AFTER = timedelta(days=7)  # rows of workers long gone are dropped


@dataclass(frozen=True)
class Beat:
    name: str
    host: str
    pid: int
    version: str
    started_at: datetime
    beat_at: datetime
    stopped_at: datetime | None = None

    def to_json(self) -> str:
        return json.dumps({k: _iso(v) for k, v in asdict(self).items()})

    @classmethod
    def from_json(cls, raw: bytes | str) -> Beat:
        data: dict[str, Any] = json.loads(raw)
        for key in ("started_at", "beat_at", "stopped_at"):
            data[key] = datetime.fromisoformat(data[key]) if data.get(key) else None
        return cls(**data)


@dataclass(frozen=True)
class Verdict:
    healthy: bool
    message: str


def this_host() -> str:
    return socket.gethostname()


def default_name() -> str:
    return f"{this_host()}.{os.getpid()}"


def _iso(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value


class HeartbeatWriter:
    """Writes one worker's beats, at most one every half period however often it is asked.

    It closes its store connection after each beat: the worker forks a work horse per job,
    and no pooled connection may be inherited across that fork.
    """

    def __init__(self, rt: Runtime, name: str | None = None) -> None:
        self.rt = rt
        now = utcnow()
        self.beat = Beat(name or default_name(), this_host(), os.getpid(), __version__, now, now)
        self._last_written: datetime | None = None

    def maybe_beat(self, now: datetime | None = None) -> None:
        if os.getpid() != self.beat.pid:
            return  # RQ also beats from the forked work horse; the worker itself speaks
        now = now or utcnow()
        half = timedelta(seconds=self.rt.settings.heartbeat_seconds / 2)
        if self._last_written is None or now - self._last_written >= half:
            self.write(replace(self.beat, beat_at=now))

    def stop(self) -> None:
        now = utcnow()
        self.write(replace(self.beat, beat_at=now, stopped_at=now))

    def write(self, beat: Beat) -> None:
        self.beat = beat
        self._last_written = beat.beat_at
        for where, write in (("store", _write_store), ("Redis", _write_redis)):
            try:
                write(self.rt, beat)
            except Exception as exc:  # the other copy may still get through
                log.warning("heartbeat not written to the %s: %s", where, type(exc).__name__)


def _write_store(rt: Runtime, beat: Beat) -> None:
    try:
        with rt.store.transaction() as db:
            row = db.get(WorkerHeartbeat, beat.name)
            if row is None:
                db.add(WorkerHeartbeat(**asdict(beat)))
            else:
                for key, value in asdict(beat).items():
                    setattr(row, key, value)
            db.execute(
                delete(WorkerHeartbeat).where(WorkerHeartbeat.beat_at < beat.beat_at - FORGET_AFTER)
            )
    finally:
        rt.store.engine.dispose()


def _redis_key(rt: Runtime, host: str) -> str:
    return rt.key("worker-heartbeats", host)


def _write_redis(rt: Runtime, beat: Beat) -> None:
    key = _redis_key(rt, beat.host)
    with rt.redis.pipeline() as pipe:
        pipe.hset(key, beat.name, beat.to_json())
        pipe.expire(key, int(FORGET_AFTER.total_seconds()))
        pipe.execute()


def read_beats(rt: Runtime, host: str, name: str | None = None) -> tuple[list[Beat], list[str]]:
    """This host's beats (or ``name``'s), the newest copy of each, and what could not be read."""
    found: dict[str, Beat] = {}
    problems: list[str] = []
    for where, read in (("store", _read_store), ("Redis", _read_redis)):
        try:
            beats = read(rt, host)
        except Exception as exc:
            problems.append(f"{where}: {type(exc).__name__}")
            continue
        for beat in beats:
            if name is not None and beat.name != name:
                continue
            known = found.get(beat.name)
            if known is None or beat.beat_at > known.beat_at:
                found[beat.name] = beat
    return sorted(found.values(), key=lambda b: b.beat_at, reverse=True), problems


def _read_store(rt: Runtime, host: str) -> list[Beat]:
    with rt.store.session() as db:
        rows = db.scalars(select(WorkerHeartbeat).where(WorkerHeartbeat.host == host)).all()
        return [
            Beat(r.name, r.host, r.pid, r.version, r.started_at, r.beat_at, r.stopped_at)
            for r in rows
        ]


def _read_redis(rt: Runtime, host: str) -> list[Beat]:
    return [Beat.from_json(raw) for raw in rt.redis.hvals(_redis_key(rt, host))]


def check(
    rt: Runtime, *, name: str | None = None, host: str | None = None, now: datetime | None = None
) -> Verdict:
    """Healthy when the newest beat of this host (or of worker ``name``) is recent."""
    host = host or this_host()
    now = now or utcnow()
    beats, problems = read_beats(rt, host, name)
    who = f"worker {name}" if name else f"a worker on {host}"
    if not beats:
        unread = f" (could not read {', '.join(problems)})" if problems else ""
        return Verdict(False, f"no heartbeat from {who}: is `postgate worker` running?{unread}")
    newest = beats[0]
    age = (now - newest.beat_at).total_seconds()
    limit = STALE_BEATS * rt.settings.heartbeat_seconds
    if newest.stopped_at is not None:
        return Verdict(False, f"worker {newest.name} stopped at {newest.stopped_at.isoformat()}")
    if age > limit:
        return Verdict(
            False,
            f"worker {newest.name}'s last heartbeat is {age:.0f} s old (stale after {limit} s)",
        )
    return Verdict(True, f"ok worker {newest.name} beat {max(age, 0):.0f} s ago")
