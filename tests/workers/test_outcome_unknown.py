"""When Postgate cannot tell whether a post went out, it never posts again on its own: the
post waits for a person, who settles it (invariant 5, issue 11). Real workers, the sandbox
behind a proxy that loses the create's answer and garbles every listing of the account."""

from __future__ import annotations

import time

from postgate.services.publishing import UNRESOLVED_NOTE

from .conftest import wait_for
from .test_publish import assert_clean_log


def test_a_post_nobody_can_read_back_waits_for_a_person_and_is_settled_once(
    workers, poster, rt, client, sandbox_url
):
    from tests.workers.garbling import JSON_WITHOUT_ID, garbling_proxy, route_account

    text = "Publiée, mais personne ne peut le vérifier."
    with garbling_proxy(sandbox_url) as proxy:
        route_account(rt, "acme", proxy.url)
        create = proxy.garble("POST", "/api/v1/statuses", forward=True, body=JSON_WITHOUT_ID)
        proxy.garble("GET", "/api/v1/accounts/")
        workers.start()
        post_id = poster.schedule(text, seconds=None)
        wait_for(
            lambda: UNRESOLVED_NOTE in poster.post(post_id).status_reason,
            60,
            "the post to wait for a person",
        )
        time.sleep(3)  # retries keep trying to read back; none sends the post again
        assert create.hits == 1 and poster.post(post_id).status == "publishing"
        [live] = poster.live(text)
        reviewer = poster.people["reviewer"]
        url = f"{proxy.url}/@acme/{live['id']}"
        answer = client.post(
            f"/api/v1/posts/{post_id}/settle", json={"live_url": url}, headers=reviewer.headers
        )
        assert answer.status_code == 200, answer.get_json()
        time.sleep(2)
        assert create.hits == 1
    post = poster.post(post_id)
    assert (post.status, post.remote_id, post.remote_url) == ("published", live["id"], url)
    assert post.claim_token is None and len(poster.live(text)) == 1
    assert_clean_log(workers)
