"""Shared fixtures: a real Redis, a real store (SQLite, and PostgreSQL where it answers),
a runtime, the Flask app and small action helpers: ``actors`` makes people and signs them in
to the API, ``web`` uses the pages as a browser would (``web.login(person)``,
``web.submit(path, **fields)`` with the form's CSRF token), as flaskr's tests do.

Redis: ``POSTGATE_TEST_REDIS_URL`` or ``redis://127.0.0.1:6379/13`` (a database of the tests'
own, flushed around each test); when nothing answers there, when it is ``private``, or in each
pytest-xdist worker (which would otherwise flush each other's data), a private ``redis-server``
is started for the session. PostgreSQL: ``POSTGATE_TEST_POSTGRES_URL`` or the ``test``
database on 127.0.0.1:5432; each run works in a schema of its own, dropped at the end.
``POSTGATE_TEST_DATABASE=postgresql`` runs the store-backed tests (those taking the
``database_url`` fixture) on PostgreSQL and leaves out the others, which the SQLite run
covers already.
"""

from __future__ import annotations

import functools
import os
import shutil
import socket
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings
from redis import Redis
from redis.exceptions import RedisError

from tests import speedups
from tests.helpers import ROOT, Actors, TotpClock, WebActions, wait_until
from tests.stores import reset_postgres, start_from_migrated_copy

speedups.install()  # each test's new app reuses the route builders and compiled templates

# Property-based tests: bounded and reproducible in CI (the same examples every run, no
# example database left in the tree); HYPOTHESIS_PROFILE=explore searches much further.
settings.register_profile(
    "ci",
    max_examples=150,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile("explore", max_examples=5000, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

DEFAULT_REDIS = "redis://127.0.0.1:6379/13"
DEFAULT_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _redis_ok(url: str) -> bool:
    try:
        return bool(Redis.from_url(url, socket_connect_timeout=1).ping())
    except (RedisError, OSError):
        return False


@pytest.fixture(autouse=True, scope="session")
def _fast_password_hashing() -> Iterator[None]:
    """Argon2 with production costs takes ~0.2 s a hash; tests use the cheapest valid costs.
    zxcvbn's estimate of a password (about 10 ms) is kept per password and user name, since
    the tests give thousands of people the same few passwords (production keeps no password
    in memory beyond the request)."""
    from argon2 import PasswordHasher

    from postgate import passwords

    original, guessable = passwords._hasher, passwords._guessable
    passwords._hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    passwords._guessable = functools.lru_cache(maxsize=4096)(guessable)
    yield
    passwords._hasher, passwords._guessable = original, guessable


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """A test driving Chromium is a ``browser`` test whether or not its module says so (before
    ``-m`` is applied). On PostgreSQL, run only what touches the store and is neither
    ``store_neutral`` nor ``platform_protocol`` (pyproject.toml says what each means): the
    rest ran on SQLite already, and ``any_database_url`` tests run on both databases in every
    run."""
    for item in items:
        if "browser" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.browser)
    if os.environ.get("POSTGATE_TEST_DATABASE", "sqlite") != "postgresql":
        if os.environ.get("POSTGATE_TEST_BOTH_PASSES") and _postgres_answers():
            _deselect(config, items, [i for i in items if i.get_closest_marker("postgresql_pass")])
        return
    keep = [
        item
        for item in items
        if "database_url" in getattr(item, "fixturenames", ())
        and item.get_closest_marker("store_neutral") is None
        and item.get_closest_marker("platform_protocol") is None
    ]
    _deselect(config, items, [i for i in items if i not in keep])


def _deselect(config: pytest.Config, items: list[pytest.Item], left_out: list[pytest.Item]) -> None:
    if left_out:
        config.hook.pytest_deselected(items=left_out)
        items[:] = [i for i in items if i not in left_out]


def _postgres_answers() -> bool:
    """Whether the tests' PostgreSQL answers (scripts/test's PostgreSQL pass then runs the
    ``postgresql_pass`` tests, which its SQLite pass leaves out)."""
    from sqlalchemy import create_engine, text

    url = os.environ.get("POSTGATE_TEST_POSTGRES_URL", DEFAULT_POSTGRES)
    engine = create_engine(url, connect_args={"connect_timeout": 3})
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        return True
    except Exception:
        return False
    finally:
        engine.dispose()


def _shared_redis_url() -> str | None:
    """The Redis the tests may flush, or None when this process must start its own."""
    url = os.environ.get("POSTGATE_TEST_REDIS_URL", DEFAULT_REDIS)
    if url == "private" or os.environ.get("PYTEST_XDIST_WORKER"):
        return None
    return url if _redis_ok(url) else None


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    url = _shared_redis_url()
    if url is not None:
        yield url
        return
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.exit("no Redis answers and redis-server is not installed", returncode=3)
    port = _free_port()
    proc = subprocess.Popen(
        [binary, "--port", str(port), "--save", "", "--appendonly", "no"], stdout=subprocess.DEVNULL
    )
    url = f"redis://127.0.0.1:{port}/13"
    wait_until(lambda: _redis_ok(url), 10, "the private redis-server")
    yield url
    proc.terminate()
    proc.wait(timeout=10)


@pytest.fixture
def redis(redis_url: str) -> Iterator[Redis]:
    client = Redis.from_url(redis_url)
    client.flushdb()
    yield client
    client.flushdb()
    client.close()


@pytest.fixture(scope="session")
def postgres_base() -> Iterator[str | None]:
    """A PostgreSQL URL with a schema of this run's own, or None when none answers."""
    from sqlalchemy import create_engine, text

    url = os.environ.get("POSTGATE_TEST_POSTGRES_URL", DEFAULT_POSTGRES)
    schema = f"pgtest_{uuid.uuid4().hex[:10]}"
    try:
        engine = create_engine(url)
        with engine.begin() as conn:
            conn.execute(text(f"CREATE SCHEMA {schema}"))
    except Exception as exc:
        if os.environ.get("POSTGATE_TEST_REQUIRE_POSTGRES"):
            pytest.exit(f"PostgreSQL is required but does not answer: {exc}", returncode=3)
        yield None
        return
    yield f"{url}?options=-csearch_path%3D{schema}"
    with engine.begin() as conn:
        conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
    engine.dispose()


def _backends() -> list[str]:
    return [os.environ.get("POSTGATE_TEST_DATABASE", "sqlite")]


@pytest.fixture(params=_backends())
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    return _database_url(request.param, request, tmp_path)


@pytest.fixture(params=["sqlite", "postgresql"])
def any_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """For tests of the store itself: run on both databases."""
    return _database_url(request.param, request, tmp_path)


def _database_url(kind: str, request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if kind == "sqlite":
        return f"sqlite:///{tmp_path / 'postgate.db'}"
    base = request.getfixturevalue("postgres_base")
    if base is None:
        pytest.skip("PostgreSQL does not answer on 127.0.0.1:5432 (database test); SQLite ran")
    # A test that builds a runtime starts from a migrated schema emptied of data; the others
    # from no table at all, as a new database would be (tests/stores.py says why).
    wants_runtime = bool({"rt", "any_rt"} & set(request.fixturenames))
    reset_postgres(base, migrated=wants_runtime)
    return base


def _reset_postgres(url: str) -> None:
    """An empty schema: no table at all (for tests of how Postgate creates its store)."""
    reset_postgres(url, migrated=False)


FAST_SETTINGS = """
[rules]
rules = "{rules}"
catalog = "{catalog}"

[publishing]
reconcile_seconds = 1
claim_settle_seconds = 2
max_attempts = 3
retry_horizon_seconds = 0
duplicate_days = 7

[watch]
# Off where a test counts the requests an account receives; the watch's tests turn it on.
enabled = false
"""


def write_fast_config(folder: Path) -> Path:
    """A settings file for tests with real workers: the shipped rules, short periods."""
    config = folder / "postgate.toml"
    config.write_text(
        FAST_SETTINGS.format(
            rules=ROOT / "config" / "rules.toml", catalog=ROOT / "config" / "catalog.csv"
        )
    )
    return config


def make_env(tmp_path: Path, database_url: str, redis_url: str, **extra: str) -> dict[str, str]:
    env = {
        "POSTGATE_INSTANCE": str(tmp_path / "instance"),
        "POSTGATE_CONFIG": str(ROOT / "config" / "postgate.toml"),
        "POSTGATE_DATABASE_URL": database_url,
        "POSTGATE_REDIS_URL": redis_url,
        "POSTGATE_REDIS_PREFIX": "pgtest:",
        "POSTGATE_SANDBOX_URL": "http://127.0.0.1:1",
    }
    env.update(extra)
    return env


def _runtime(env: dict[str, str]):
    from postgate.runtime import Runtime
    from postgate.services.setup import init_store
    from postgate.settings import load_settings
    from postgate.store.db import forget_stores

    forget_stores()
    runtime = Runtime(load_settings(env=env))
    start_from_migrated_copy(runtime.settings.database_url)
    init_store(runtime)
    return runtime


@pytest.fixture
def env(tmp_path: Path, database_url: str, redis_url: str, redis: Redis) -> dict[str, str]:
    return make_env(tmp_path, database_url, redis_url)


@pytest.fixture
def rt(env: dict[str, str]):
    runtime = _runtime(env)
    yield runtime
    runtime.store.dispose()


@pytest.fixture
def pg_rt(rt):
    """``rt``, for what only PostgreSQL does (its pool, its row locks, psycopg's pipeline):
    skipped, saying so, in the SQLite pass."""
    if rt.store.dialect != "postgresql":
        pytest.skip("PostgreSQL's own behaviour; this pass runs SQLite")
    return rt


@pytest.fixture
def any_rt(tmp_path: Path, any_database_url: str, redis_url: str, redis: Redis):
    runtime = _runtime(make_env(tmp_path, any_database_url, redis_url))
    yield runtime
    runtime.store.dispose()


@pytest.fixture
def app(rt):
    from gateway import create_app

    return create_app({"TESTING": True}, settings=rt.settings)


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def totp_clock(monkeypatch: pytest.MonkeyPatch) -> TotpClock:
    """The clock every runtime of the test process checks TOTP codes by; people made by
    ``actors`` move it on a step when they need a fresh code."""
    from postgate.runtime import Runtime

    clock = TotpClock()
    monkeypatch.setattr(Runtime, "clock", staticmethod(clock))
    return clock


@pytest.fixture
def actors(rt, client, totp_clock: TotpClock) -> Actors:
    return Actors(rt, client, totp_clock)


@pytest.fixture
def web(client) -> WebActions:
    return WebActions(client)
