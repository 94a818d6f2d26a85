"""A Bluesky takedown decides the window from what the PDS vouches for, and tells the truth
about the app password.

The attacks, tried against a real PDS before: records posted with a back-dated
``createdAt`` survived and the takedown still said ``done``; on an account with more than
100 records, one with a crafted (back-dated) record key escaped. The PDS here
(:mod:`tests.pds`) pages ``listRecords`` by 100 and keeps its commit history by server
revisions, as the reference PDS does; the takedown job runs in this process.
"""

from __future__ import annotations

import dataclasses
import hashlib
from datetime import UTC, datetime, timedelta

import pytest

from postgate.platforms.car import tid_at
from tests.helpers import make_account
from tests.images import png
from tests.pds import HANDLE, PASSWORD, Repo, running_pds

pytestmark = pytest.mark.platform_protocol

T0 = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
SINCE = T0 + timedelta(hours=1)


@pytest.fixture
def pds(rt):
    repo = Repo(now=T0)
    with running_pds(repo) as url:
        rt.settings = dataclasses.replace(rt.settings, allow_private_urls=(url,))
        credentials = {"identifier": HANDLE, "app_password": PASSWORD}
        make_account(rt, "acme", platform="bluesky", base_url=url, credentials=credentials)
        yield repo


def attack(repo: Repo) -> dict[str, str]:
    """150 of the owner's records before the window, then the attacker's three."""
    for i in range(150):
        repo.now = T0 + timedelta(seconds=i)
        repo.write(f"owner post {i}")
    repo.now = SINCE + timedelta(minutes=30)
    backdated = repo.write("SCAM backdated", created_at=T0 - timedelta(days=1))
    crafted = repo.write(
        "SCAM crafted key",
        created_at=T0 - timedelta(days=2),
        rkey=tid_at(T0 - timedelta(days=2)),
    )
    blob = repo.blob(png(metadata=False), "image/png")
    images = [{"alt": "a fake voucher", "image": blob}]
    plain = repo.write("SCAM plain", embed={"$type": "app.bsky.embed.images", "images": images})
    return {"backdated": backdated.rkey, "crafted": crafted.rkey, "plain": plain.rkey}


def take_down(rt, client, lead) -> dict:
    from workers import takedown

    started = client.post(
        "/api/v1/takedowns",
        json={"since": SINCE.isoformat(), "accounts": ["acme"]},
        headers=lead.headers,
    )
    assert started.status_code == 202, started.get_json()
    takedown.execute(rt, started.get_json()["id"])
    return client.get(f"/api/v1/takedowns/{started.get_json()['id']}", headers=lead.headers).json


def test_backdated_dates_and_a_crafted_key_do_not_escape_on_a_long_account(rt, client, actors, pds):
    keys = attack(pds)
    body = take_down(rt, client, actors.person("sam", "security"))
    taken = {item["remote_id"].rsplit("/", 1)[-1]: item for item in body["items"]}
    assert set(taken) == set(keys.values())  # the three, and none of the owner's 150
    assert {item["outcome"] for item in taken.values()} == {"deleted"}
    assert not set(keys.values()) & set(pds.records) and len(pds.records) == 150
    assert taken[keys["crafted"]]["evidence"]["text"] == "SCAM crafted key"
    assert "com.atproto.sync.getRepo" in pds.requests  # the history decided it
    assert pds.requests.count("com.atproto.repo.listRecords") >= 2  # paged past 100
    (image,) = taken[keys["plain"]]["evidence"]["media"]  # its blob, through getBlob
    assert image["sha256"] == hashlib.sha256(png(metadata=False)).hexdigest()
    assert image["description"] == "a fake voucher"
    fetched = pds.requests.index("com.atproto.sync.getBlob")
    assert fetched < pds.requests.index("com.atproto.repo.deleteRecord")  # before deleting


def test_the_app_password_still_logging_in_is_a_gap_with_the_step_by_hand(rt, client, actors, pds):
    attack(pds)
    body = take_down(rt, client, actors.person("sam", "security"))
    assert body["status"] == "done_with_gaps"
    (account,) = body["accounts"]
    assert account["credentials_revoked"] is False
    assert "still works" in account["reason"] and "App passwords" in account["reason"]
    assert "com.atproto.server.deleteSession" in pds.requests  # its session was ended
    assert not pds.password_revoked  # the password logs in still: that was checked
    assert pds.requests[-1] == "com.atproto.server.getSession"


def test_an_unreadable_history_is_a_gap_not_done(rt, client, actors, pds):
    """Without the commit history only the dates can decide: the back-dated record with a
    crafted key stays, and the takedown says so instead of ``done``."""
    keys = attack(pds)
    pds.history_broken = True
    body = take_down(rt, client, actors.person("sam", "security"))
    assert body["status"] == "done_with_gaps"
    assert "history could not be read" in body["accounts"][0]["gaps"]
    assert keys["crafted"] in pds.records  # the gap is real: said, not hidden
    assert keys["backdated"] not in pds.records  # its record key's time gave it away
