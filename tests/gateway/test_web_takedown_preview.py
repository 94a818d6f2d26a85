"""The console shows what a takedown will touch before the lead confirms it, and says in
plain words what is left to check by hand when a takedown ends with gaps."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from postgate.store.models import Freeze, Takedown
from sandbox import client as sandbox
from sandbox.server import running_sandbox
from tests.helpers import make_account, sandbox_credentials


@pytest.fixture
def sandbox_url(tmp_path):
    with running_sandbox(tmp_path / "sandbox.db") as url:
        yield url


@pytest.fixture
def sam(actors, web):
    person = actors.create("sam", "security")
    web.login(person)
    return person


def test_preview_lists_the_posts_and_changes_nothing(rt, web, sam, sandbox_url):
    make_account(
        rt, "acme", base_url=sandbox_url, credentials=sandbox_credentials(sandbox_url, "acme")
    )
    scam = sandbox.post_direct(sandbox_url, "acme", "Send BTC now", "direct")
    form = {"accounts": "acme", "since": "2020-01-01T00:00", "clock": "UTC"}
    answer = web.submit("/security/takedowns/preview", form, page="/security")
    assert answer.status_code == 200
    page = answer.get_data(as_text=True)
    assert "What this takedown will touch" in page
    assert f'data-remote-id="{scam["id"]}" data-action="delete"' in page
    assert "Send BTC now" in page and "Nothing has changed yet." in page
    assert 'name="otp"' in page  # the confirm button comes with the code field
    with rt.store.session() as db:
        assert db.scalars(select(Freeze)).all() == [] and db.scalars(select(Takedown)).all() == []
    assert [p["id"] for p in sandbox.list_live(sandbox_url, "acme")] == [scam["id"]]


def test_preview_with_a_bad_form_says_what_is_wrong(web, sam, rt):
    make_account(rt, "acme")
    answer = web.submit(
        "/security/takedowns/preview", {"since": "", "clock": "UTC"}, page="/security"
    )
    assert answer.status_code == 422


def test_a_takedown_with_gaps_says_what_to_do_by_hand(rt, client, web, sam, sandbox_url):
    from workers import takedown

    token = sandbox_credentials(sandbox_url, "acme")["token"]  # stored without the client pair
    make_account(rt, "acme", base_url=sandbox_url, token=token)
    sandbox.post_direct(sandbox_url, "acme", "scam")
    started = web.submit(
        "/security/takedowns",
        {"accounts": "acme", "since": "2020-01-01T00:00", "clock": "UTC", "otp": sam.code()},
        page="/security",
    )
    assert started.status_code == 302
    with rt.store.session() as db:
        takedown_id = db.scalar(select(Takedown.id))
    takedown.execute(rt, takedown_id)
    page = client.get(started.headers["Location"]).get_data(as_text=True)
    assert "done, with gaps" in page
    assert "acme: the stolen credential is NOT revoked." in page
    assert "By hand: issue a new token" in page
