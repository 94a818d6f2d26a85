"""Fixed-window rate limits kept in Redis, so every web process and worker shares them."""

from __future__ import annotations

from postgate.errors import RateLimited
from postgate.runtime import Runtime


def hit(rt: Runtime, bucket: str, limit: int, window: int, *, what: str) -> None:
    """Count one attempt in ``bucket``; raise :class:`RateLimited` once past ``limit``."""
    key = rt.key("rl", bucket)
    pipe = rt.redis.pipeline()
    pipe.incr(key)
    pipe.expire(key, window, nx=True)
    pipe.ttl(key)
    count, _, ttl = pipe.execute()
    if int(count) > limit:
        retry = int(ttl) if ttl and int(ttl) > 0 else window
        raise RateLimited(f"too many {what}; try again in {retry} seconds", retry_after=retry)


def reset(rt: Runtime, bucket: str) -> None:
    rt.redis.delete(rt.key("rl", bucket))
