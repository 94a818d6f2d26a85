"""A Bluesky session is reused and refreshed across jobs, not created for each (issue 11).

Bluesky limits ``createSession`` to about 30 per 5 minutes and 300 a day per account
(https://docs.bsky.app/docs/advanced-guides/rate-limits). Three jobs, each with a connector
of its own, share one kept session: the first logs in, the second refreshes the expired
access token and keeps the new one, the third finds the kept session ended on the PDS and
logs in once more. The keeper in the core encrypts what it keeps.
"""

from __future__ import annotations

from postgate.platforms.registry import connector_for
from postgate.services.platform_sessions import RedisSessionStore

from .conftest import CREDENTIALS, NOW
from .replay import Replay
from .test_bluesky import TEXT, URI


class MemoryStore:
    def __init__(self) -> None:
        self.session: dict[str, str] | None = None
        self.cleared = 0

    def load(self) -> dict[str, str] | None:
        return dict(self.session) if self.session else None

    def save(self, session: dict[str, str]) -> None:
        self.session = dict(session)

    def clear(self) -> None:
        self.session, self.cleared = None, self.cleared + 1


def job(transport: Replay, store: MemoryStore) -> str:
    connector = connector_for(
        "bluesky",
        base_url=None,
        credentials=CREDENTIALS["bluesky"],
        transport=transport,
        clock=lambda: NOW,
    )
    connector.keep_sessions_in(store)
    with connector:
        return connector.publish(TEXT, idempotency_key="post-7").remote_id


def test_three_jobs_log_in_twice_not_three_times():
    transport, store = Replay("bluesky_session_reuse.json"), MemoryStore()
    assert job(transport, store) == URI
    assert store.session and store.session["accessJwt"] == "eyJ.access-1.sig"
    assert job(transport, store) == URI  # expired: refreshed, not a new login
    assert store.session["accessJwt"] == "eyJ.access-2.sig"
    assert store.session["refreshJwt"] == "eyJ.refresh-2.sig"
    assert job(transport, store) == URI  # ended elsewhere: one new login
    assert store.session["accessJwt"] == "eyJ.access-3.sig"
    transport.assert_done()
    logins = [r for r in transport.requests if r.url.path.endswith("createSession")]
    assert len(logins) == 2


def test_revoking_forgets_the_kept_session(connect):
    store = MemoryStore()
    connector = connect("bluesky", "bluesky_revoke.json")
    connector.keep_sessions_in(store)
    assert connector.revoke_credentials() is False  # the app password itself lives on
    assert store.session is None and store.cleared >= 1


def test_the_core_keeps_sessions_encrypted_per_credentials(rt):
    store = RedisSessionStore(rt, 7, {"identifier": "acme", "app_password": "pw-1"})
    store.save({"did": "did:plc:x", "handle": "acme", "accessJwt": "eyJ.SECRET", "refreshJwt": "r"})
    raw = [rt.redis.get(key) for key in rt.redis.keys(rt.key("platform-session", "*"))]
    assert len(raw) == 1 and b"SECRET" not in raw[0] and b"did:plc" not in raw[0]
    assert store.load()["accessJwt"] == "eyJ.SECRET"
    other = RedisSessionStore(rt, 7, {"identifier": "acme", "app_password": "pw-2"})
    assert other.load() is None  # new credentials never reuse an old session
    rt.redis.set(store._key, "not a Fernet token")
    assert store.load() is None  # unreadable: log in again
    store.clear()
    assert rt.redis.get(store._key) is None
