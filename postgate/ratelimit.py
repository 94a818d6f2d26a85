"""Fixed-window rate limits kept in Redis, so every web process and worker shares them."""

from __future__ import annotations

from postgate.runtime import Runtime


def hit(rt: Runtime, bucket: str, limit: int, window: int) -> int:
    """Count one attempt in ``bucket``: 0 while within ``limit``, else the seconds to wait.

    The caller raises :class:`~postgate.errors.RateLimited` with a message of its own, which
    names what was limited in a sentence a translation can follow.
    """
    key = rt.key("rl", bucket)
    pipe = rt.redis.pipeline()
    pipe.incr(key)
    pipe.expire(key, window, nx=True)
    pipe.ttl(key)
    count, _, ttl = pipe.execute()
    if int(count) <= limit:
        return 0
    return int(ttl) if ttl and int(ttl) > 0 else window


def reset(rt: Runtime, bucket: str) -> None:
    rt.redis.delete(rt.key("rl", bucket))
