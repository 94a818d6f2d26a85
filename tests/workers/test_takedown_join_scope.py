"""A second press asking for more of Postgate's posts widens the running takedown's scope;
one asking for less never narrows it.

The first press chose none of Postgate's posts; the lead then finds alice's posts were
approved under duress and presses again with ``include_postgate: ["alice"]`` while the
first runs: the running takedown (joined, not raced) takes alice's posts too, bob's stay.
The takedown job runs in this process against the sandbox.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from postgate.services.takedown_scope import Scope
from postgate.services.takedown_windows import finish_account, takedown_windows
from postgate.store.models import Takedown
from sandbox import client as sandbox
from tests.helpers import make_account, sandbox_credentials
from tests.workers.takedown.support import publish_as_postgate, user_id


def press(client, lead, include):
    since = datetime.now(UTC) - timedelta(minutes=5)
    body = {"since": since.isoformat(), "accounts": ["acme"], "include_postgate": include}
    answer = client.post("/api/v1/takedowns", json=body, headers=lead.headers)
    assert answer.status_code == 202, answer.get_json()
    return answer.get_json()


def scene(rt, actors, url):
    acme = make_account(rt, "acme", base_url=url, credentials=sandbox_credentials(url, "acme"))
    for name in ("alice", "bob"):
        author = user_id(rt, actors.create(name, "author").username)
        publish_as_postgate(rt, acme, author, f"{name}'s approved post")
    sandbox.post_direct(url, "acme", "SCAM")
    return acme


def test_a_join_asking_for_more_widens_and_one_asking_for_less_does_not_narrow(
    rt, client, actors, sandbox_url
):
    from workers import takedown

    scene(rt, actors, sandbox_url)
    lead = actors.person("sam", "security")
    first = press(client, lead, "none")
    assert first["include_postgate"] == "none"

    second = press(client, lead, ["alice"])
    assert second["created"] is False and second["joined"] == [first["id"]]
    assert second["include_postgate"] == ["alice"] and second["widened"] == ["acme"]
    third = press(client, lead, "none")
    assert third["include_postgate"] == ["alice"] and third["widened"] == []

    takedown.execute(rt, first["id"])
    done = client.get(f"/api/v1/takedowns/{first['id']}", headers=lead.headers).get_json()
    gone = {i["evidence"]["text"] for i in done["items"] if i["outcome"] == "deleted"}
    assert gone == {"SCAM", "alice's approved post"}
    assert {p["text"] for p in sandbox.list_live(sandbox_url, "acme")} == {"bob's approved post"}


def test_a_part_finished_for_the_narrower_scope_is_done_again(rt, client, actors, sandbox_url):
    """The race: the worker finishes an account's part for the scope it read while a join
    widens it. The part must not count as finished for the wider scope."""
    acme = scene(rt, actors, sandbox_url)
    lead = actors.person("sam", "security")
    first = press(client, lead, "none")
    press(client, lead, "all")
    with rt.store.transaction() as db:
        running = db.get(Takedown, first["id"])
        since = takedown_windows(db, running).since[acme]
        finish_account(db, running, acme, since, True, "", scope=Scope("none"))
        assert takedown_windows(db, running).unfinished() == [acme]
        finish_account(db, running, acme, since, True, "", scope=Scope("all"))
        assert takedown_windows(db, running).unfinished() == []


def test_the_widest_scope():
    assert Scope("none").widest(Scope(("bob",))) == Scope(("bob",))
    assert Scope(("alice",)).widest(Scope(("bob",))) == Scope(("alice", "bob"))
    assert Scope(("alice",)).widest(Scope("all")) == Scope("all")
    kept = Scope("none", frozenset({"1", "2"})).widest(Scope("none", frozenset({"2"})))
    assert kept.exclude == {"2"}  # excluded only while both exclude it
