"""Platform login sessions kept between jobs, encrypted, in Redis (issue 11).

Bluesky allows about 30 ``createSession`` calls per 5 minutes and 300 a day per account, so
a connector that logged in for every job would lock a busy account out. The connector asks
:class:`RedisSessionStore` for the last session instead and keeps the refreshed one there.
The session's tokens are secrets (invariant 9): they are stored encrypted by the vault,
under a key naming the account and a digest of its credentials (new credentials never reuse
an old session), and expire after a week (Bluesky's refresh tokens live longer; a session
the PDS no longer knows is replaced by a new login). Redis failing only means logging in
again.
"""

from __future__ import annotations

import hashlib
import json
import logging

from redis.exceptions import RedisError

from postgate.runtime import Runtime
from postgate.vault import SecretUnreadable

log = logging.getLogger("postgate.platform_sessions")

KEEP_SECONDS = 7 * 24 * 3600


class RedisSessionStore:
    """One account's session (see the module docstring)."""

    def __init__(self, rt: Runtime, account_id: int, credentials: dict[str, str]) -> None:
        digest = hashlib.sha256(json.dumps(credentials, sort_keys=True).encode()).hexdigest()
        self._rt = rt
        self._key = rt.key("platform-session", account_id, digest[:24])

    def load(self) -> dict[str, str] | None:
        try:
            raw = self._rt.redis.get(self._key)
            if raw is None:
                return None
            text = raw.decode() if isinstance(raw, bytes) else str(raw)
            session = self._rt.vault.decrypt_json(text)
        except RedisError as exc:
            log.warning("platform session not read (%s): logging in again", type(exc).__name__)
            return None
        except (SecretUnreadable, ValueError):  # no current key decrypts it: as good as none
            return None
        return {k: v for k, v in session.items() if isinstance(v, str)}

    def save(self, session: dict[str, str]) -> None:
        try:
            self._rt.redis.set(self._key, self._rt.vault.encrypt_json(session), ex=KEEP_SECONDS)
        except RedisError as exc:
            log.warning("platform session not kept (%s)", type(exc).__name__)

    def clear(self) -> None:
        try:
            self._rt.redis.delete(self._key)
        except RedisError as exc:
            log.warning("platform session not forgotten (%s)", type(exc).__name__)
