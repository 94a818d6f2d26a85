"""A post the watch sees and Postgate never made reaches the security lead at once, by mail
and on the security channel, in each reader's language, with its text and link."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from sandbox import client as sandbox_client
from tests.helpers import make_account, sandbox_credentials
from tests.notify.conftest import drain, set_prefs
from tests.notify.receivers import SmtpReceiver, WebhookReceiver

pytestmark = pytest.mark.platform_protocol


def read(rt: Any, name: str) -> Any:
    """One reading of the account by the watch, as its job does."""
    from sqlalchemy import select

    from postgate.services.credentials import connector_for_account
    from postgate.store.models import Account
    from workers.watch import read_account

    with rt.store.session() as db:
        account = db.scalars(select(Account).where(Account.name == name)).one()
        with connector_for_account(rt, account) as connector:
            return read_account(rt, account.id, connector, via="poll", now=datetime.now(UTC))


def test_an_attacker_post_reaches_the_security_lead_at_once(
    rt, actors, smtp: SmtpReceiver, hook: WebhookReceiver, sandbox_url: str
):
    rt.settings = rt.settings.with_overrides(watch_enabled=True, watch_poll_seconds=1)
    credentials = sandbox_credentials(sandbox_url, "acme")
    make_account(rt, "acme", base_url=sandbox_url, credentials=credentials)
    actors.create("sec", "security")
    set_prefs(rt, "sec", email="sec@example.org", language="en")
    read(rt, "acme")  # the first reading: the watch starts here
    attack = sandbox_client.post_direct(sandbox_url, "acme", "Free crypto for all, DM us!")
    read(rt, "acme")
    drain(rt)

    [mail] = smtp.messages
    assert mail["Subject"] == "Alert on acme: a post Postgate did not publish"
    assert "Free crypto for all, DM us!" in smtp.texts()[0]
    assert attack["id"] in smtp.texts()[0], "the post's link"
    [channel] = hook.texts("security")
    expected = "Alerte sur acme\u00a0: une publication que Postgate n\u2019a pas faite"
    assert channel.startswith(expected)
