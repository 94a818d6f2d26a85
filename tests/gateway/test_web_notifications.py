"""The notification pages: a person's language, address and channels, and the
organisation's channels for admins, with a code; URLs are never shown back."""

from __future__ import annotations

import pytest
from sqlalchemy import select

pytestmark = pytest.mark.store_neutral


def test_a_person_sets_language_address_and_a_channel(rt, actors, web, client):
    from postgate.store.models import NotifyChannel

    alice = actors.create("alice", "author")
    web.login(alice)
    saved = web.submit("/me/notifications", language="en", email="alice@example.org")
    assert saved.status_code == 302
    refused = web.submit(
        "/me/notifications/channels", page="/me/notifications", name="x", url="json://10.1.2.3/"
    )
    assert refused.status_code == 422
    assert "10.1.2.3" not in _value_of(refused.get_data(as_text=True), "url")
    url = "mmosts://chat.example.org/abcdefghijklmnop"
    added = web.submit("/me/notifications/channels", page="/me/notifications", name="mm", url=url)
    assert added.status_code == 302
    page = client.get("/me/notifications").get_data(as_text=True)
    assert "mm" in page and "mmosts" in page and "abcdefghijklmnop" not in page
    with rt.store.session() as db:
        channel_id = db.scalars(select(NotifyChannel.id)).one()
    web.submit(f"/me/notifications/channels/{channel_id}/remove", page="/me/notifications")
    with rt.store.session() as db:
        assert db.scalars(select(NotifyChannel)).all() == []


def test_admins_manage_the_organisations_channels_with_a_code(rt, actors, web, client):
    from postgate.store.models import NotifyChannel

    ada = actors.create("ada", "admin")
    alice = actors.create("alice", "author")
    web.login(alice)
    assert client.get("/admin/notifications").status_code == 403
    web.logout()
    web.login(ada)
    page = "/admin/notifications"
    added = web.submit(
        "/admin/notifications/channels",
        {"audiences": ["security", "reviews"]},
        page=page,
        name="SOC",
        url="mmosts://chat.example.org/abcdefghijklmnop",
        otp=ada.code(),
    )
    assert added.status_code == 302, added.get_data(as_text=True)
    shown = client.get(page).get_data(as_text=True)
    assert "SOC" in shown and "abcdefghijklmnop" not in shown
    with rt.store.session() as db:
        channel = db.scalars(select(NotifyChannel)).one()
        assert channel.audiences == ["reviews", "security"] and channel.user_id is None
    web.submit(f"/admin/notifications/channels/{channel.id}/remove", page=page, otp=ada.code())
    with rt.store.session() as db:
        assert db.scalars(select(NotifyChannel)).all() == []


def _value_of(html: str, name: str) -> str:
    marker = f'name="{name}"'
    start = html.find(marker)
    return html[start : start + 200] if start >= 0 else ""
