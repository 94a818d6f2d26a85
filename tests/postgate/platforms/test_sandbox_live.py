"""The Mastodon connector against the live sandbox server, over real HTTP."""

from datetime import UTC, datetime, timedelta

import pytest

from postgate.platforms.base import CredentialsError, RetryableError
from postgate.platforms.registry import connector_for
from sandbox.client import issue_token, list_live, post_direct, set_faults
from sandbox.server import running_sandbox


@pytest.fixture
def sandbox(tmp_path):
    with running_sandbox(tmp_path / "sandbox.db") as url:
        yield url


def connect(url, name="acme"):
    issued = issue_token(url, name)
    credentials = {"token": issued["access_token"]}
    credentials |= {key: issued[key] for key in ("client_id", "client_secret")}
    return connector_for("sandbox", base_url=url, credentials=credentials)


def test_publish_list_delete_round_trip(sandbox):
    with connect(sandbox) as connector:
        info = connector.verify_credentials()
        assert info.handle
        posted = connector.publish("Bonjour <à> tous\nligne deux", idempotency_key="k-1")
        again = connector.publish("Bonjour <à> tous\nligne deux", idempotency_key="k-1")
        assert again.remote_id == posted.remote_id
        recent = connector.list_recent(since=datetime.now(UTC) - timedelta(minutes=1))
        assert [p.text for p in recent] == ["Bonjour <à> tous\nligne deux"]
        assert connector.delete(posted.remote_id) == "deleted"
        assert connector.delete(posted.remote_id) == "not_found"
    assert list_live(sandbox, "acme") == []


def test_list_recent_sees_posts_made_behind_postgates_back(sandbox):
    with connect(sandbox) as connector:
        for i in range(45):
            post_direct(sandbox, "acme", f"attacker post {i}")
        texts = [p.text for p in connector.list_recent(limit=100)]
    assert len(texts) == 45 and texts[0] == "attacker post 44"


def test_revoked_token_is_a_credentials_error(sandbox):
    connector = connect(sandbox)
    assert connector.revoke_credentials() is True
    with pytest.raises(CredentialsError):
        connector.verify_credentials()
    connector.close()


def test_rate_limit_is_retryable_with_retry_after(sandbox):
    with connect(sandbox) as connector:
        set_faults(sandbox, rate_limit="2/30")
        connector.verify_credentials()
        connector.verify_credentials()
        with pytest.raises(RetryableError) as caught:
            connector.verify_credentials()
    assert caught.value.retry_after is not None and 0 < caught.value.retry_after <= 30


def test_server_errors_are_retryable(sandbox):
    with connect(sandbox) as connector:
        set_faults(sandbox, error_rate=1.0)
        with pytest.raises(RetryableError):
            connector.publish("hello", idempotency_key="k-2")
