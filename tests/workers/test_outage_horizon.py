"""A platform outage is not a permanent failure: retryable errors keep retrying, with
backoff, until the post has been due for ``retry_horizon_seconds`` (issue 11). Real
workers; the platform is unreachable (connection refused) for a while, then answers."""

from __future__ import annotations

import pytest

from tests.helpers import wait_until

pytestmark = pytest.mark.platform_protocol


def test_an_outage_is_waited_out_past_max_attempts(workers, poster, rt, sandbox_url, tmp_path):
    from tests.workers.garbling import route_account

    config = tmp_path / "postgate.toml"  # max_attempts = 3, as the test settings say
    text = config.read_text()
    config.write_text(text.replace("retry_horizon_seconds = 0", "retry_horizon_seconds = 300"))
    route_account(rt, "acme", "http://127.0.0.1:1")  # nothing listens: connection refused
    workers.start()
    post_id = poster.schedule("Publiée malgré la panne de la plateforme.", seconds=None)
    wait_until(lambda: poster.post(post_id).attempts >= 4, 60, "more attempts than max_attempts")
    assert poster.post(post_id).status in ("scheduled", "publishing")  # never failed
    wait_until(lambda: "could not connect" in poster.post(post_id).status_reason, 30, "the reason")
    route_account(rt, "acme", sandbox_url)  # the platform is back
    post = poster.wait_status(post_id, "published", "failed", timeout=90)
    assert post.status == "published", post.status_reason
    assert len(poster.live("Publiée malgré la panne de la plateforme.")) == 1


def test_without_a_horizon_the_post_fails_after_max_attempts(workers, poster, rt):
    from tests.workers.garbling import route_account

    route_account(rt, "acme", "http://127.0.0.1:1")
    workers.start()
    post_id = poster.schedule("Cette annonce ne partira pas.", seconds=None)
    post = poster.wait_status(post_id, "failed", timeout=60)
    assert post.attempts == 3 and post.status_reason.startswith("gave up after 3 attempts")
