"""The alerts in the security console: the evidence, acknowledging, the automatic freeze, and
"take down from here" opening the takedown form filled in, with its preview."""

from __future__ import annotations

import html
import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from .conftest import alerts
from .test_watch_poll import read


@pytest.fixture
def lead_web(actors, web):
    lead = actors.create("lead", "security")
    web.login(lead)
    return web, lead


def test_an_alert_shows_its_evidence_and_takes_the_account_down_from_just_before_it(
    watch_rt, account_id, attacker, publish, lead_web
):
    web, _ = lead_web
    ours = publish("Notre annonce #Lancement https://acme.fr/nouvelles")
    read(watch_rt, account_id)
    scam = attacker.post("Buy crypto now https://scam.example", "private")
    read(watch_rt, account_id)
    (alert,) = alerts(watch_rt)

    page = web.client.get("/security/alerts").get_data(as_text=True)
    assert "Buy crypto now" in page and html.escape(scam["url"]) in page
    assert "a post Postgate did not publish" in page and "private" in page
    console = web.client.get("/security").get_data(as_text=True)
    assert "1 watch alert" in console

    page = web.client.get(f"/security/alerts/{alert.id}/takedown").get_data(as_text=True)
    assert re.search(r'name="accounts"[^>]*value="acme"[^>]*checked', page) or re.search(
        r'checked[^>]*name="accounts"[^>]*value="acme"', page
    ), "the alert's account is chosen"
    since = re.search(r'name="since"[^>]*value="([^"]+)"', page).group(1)
    assert since == (alert.at - timedelta(seconds=1)).strftime("%Y-%m-%dT%H:%M")  # UTC account
    preview = page[page.index('id="takedown-preview"') :]
    assert f'data-remote-id="{scam["id"]}" data-action="delete"' in preview
    assert f'data-remote-id="{ours.remote_id}" data-action="delete"' not in preview

    answer = web.submit(f"/security/alerts/{alert.id}/acknowledge", page="/security/alerts")
    assert answer.status_code == 302
    assert alerts(watch_rt)[0].acknowledged_at is not None
    assert "watch alert" not in web.client.get("/security").get_data(as_text=True)


def test_the_automatic_freeze_is_set_from_the_console_with_a_code(watch_rt, account_id, lead_web):
    from postgate.store.models import Account, AuditEntry

    web, lead = lead_web
    page = web.client.get("/security/alerts").get_data(as_text=True)
    box = re.search(r'<input[^>]*id="w-acme-auto_freeze"[^>]*>', page).group(0)
    assert "checked" not in box  # off by default
    answer = web.submit(
        "/security/accounts/acme/watch",
        page="/security/alerts",
        **{"w-acme-auto_freeze": "y", "w-acme-otp": lead.code()},
    )
    assert answer.status_code == 302
    with watch_rt.store.session() as db:
        assert db.get(Account, account_id).watch_auto_freeze is True
        entry = db.scalar(select(AuditEntry).where(AuditEntry.action == "account:watch-settings"))
        assert (entry.actor, entry.details) == ("lead", {"auto_freeze": True})
