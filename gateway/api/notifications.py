"""``/api/v1/notifications``: the caller's in-app list, their own channels and language,
and (admins) the organisation's channels.

A channel's Apprise URL is accepted once and never shown again: answers name its kind.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field

from gateway.access import caller
from gateway.api.operations import ApiBlueprint
from gateway.api.types import Answer, Body, Query, SteppedUp, Text, Time
from gateway.context import rt, source_address
from postgate import policy
from postgate.notifications import channels, inbox
from postgate.notifications.recipients import language_of

bp = ApiBlueprint("notifications", __name__, tag="notifications")


class NotificationItem(Answer):
    id: int
    kind: str
    title: str
    body: str
    link: str
    created_at: Time
    read: bool


class NotificationList(Answer):
    """Newest first; ``unread``: how many of all the caller's notifications are unread."""

    notifications: list[NotificationItem]
    unread: int
    next: int | None


class Marked(Answer):
    marked: int
    unread: int


class Channel(Answer):
    """A channel as shown: never its URL."""

    id: int
    name: str
    kind: str
    audiences: list[str]
    enabled: bool
    created_at: Time


class ChannelList(Answer):
    """``security_urls``: how many URLs ``POSTGATE_NOTIFY_URLS`` gives (not the URLs)."""

    channels: list[Channel]
    security_urls: int


class Preferences(Answer):
    language: str
    email: str | None
    email_available: bool
    channels: list[Channel]


class ListFilter(Query):
    unread: bool = False
    limit: int = Field(default=50, ge=1, le=200)
    before: int | None = Field(default=None, ge=1)


class MarkRead(Body):
    ids: list[int] | None = Field(default=None, description="Absent: every notification.")


class PreferenceChanges(Body):
    language: str | None = Field(default=None, description="fr or en")
    email: str | None = Field(
        default=None,
        description='An address, or "" to stop e-mails; sent through the '
        "organisation's SMTP server (POSTGATE_NOTIFY_SMTP_URL).",
    )


class NewChannel(Body):
    name: Text
    url: Text = Field(
        description="An Apprise URL: mailto://, slack://, msteams://, mmost://, json://..."
    )


class NewOrgChannel(SteppedUp):
    name: Text
    url: Text
    audiences: list[str] | None = Field(
        default=None,
        description="Among security, reviews, posts; absent: security.",
    )


@bp.operation("GET", "/notifications", query=ListFilter, answers={200: NotificationList})
def list_notifications(query: ListFilter) -> dict[str, Any]:
    """The caller's notifications, newest first, in their language; follow ``next`` with
    ``before`` for older ones."""
    with rt().store.session() as db:
        me = caller(db)
        language = language_of(db, me.id, rt().settings.notify_language)
        items = inbox.list_notifications(
            db, me, unread=query.unread, limit=query.limit, before=query.before
        )
        return {
            "notifications": [inbox.notification_to_dict(i, language) for i in items],
            "unread": inbox.unread_count(db, me),
            "next": items[-1].id if len(items) == query.limit else None,
        }


@bp.operation("POST", "/notifications/read", body=MarkRead, answers={200: Marked})
def mark_read(body: MarkRead) -> dict[str, Any]:
    """Mark notifications read: those named by ``ids``, or all of them."""
    with rt().store.transaction() as db:
        me = caller(db)
        marked = inbox.mark_read(db, me, body.ids)
        return {"marked": marked, "unread": inbox.unread_count(db, me)}


def _preferences(db: Any) -> dict[str, Any]:
    me = caller(db)
    return channels.preferences(rt(), db, me) | {
        "channels": [channels.channel_to_dict(c) for c in channels.list_channels(db, me)]
    }


@bp.operation("GET", "/me/notifications", answers={200: Preferences})
def my_preferences() -> dict[str, Any]:
    """The caller's language for messages, e-mail address and own channels."""
    with rt().store.session() as db:
        return _preferences(db)


@bp.operation("PATCH", "/me/notifications", body=PreferenceChanges, answers={200: Preferences})
def change_preferences(body: PreferenceChanges) -> dict[str, Any]:
    """Change the caller's language (``fr``, ``en``) or e-mail address."""
    changes = {key: getattr(body, key) for key in body.model_fields_set}
    with rt().store.transaction() as db:
        channels.set_preferences(rt(), db, caller(db), changes, source=source_address())
        return _preferences(db)


@bp.operation("POST", "/me/notifications/channels", body=NewChannel, answers={201: Channel})
def add_my_channel(body: NewChannel) -> tuple[dict[str, Any], int]:
    """Add one of the caller's own channels (an Apprise URL, stored encrypted)."""
    with rt().store.transaction() as db:
        me = caller(db)
        channel = channels.add_channel(
            rt(), db, me, owner=me, name=body.name, url=body.url, source=source_address()
        )
        return channels.channel_to_dict(channel), 201


@bp.operation("DELETE", "/me/notifications/channels/<id:channel_id>", answers={204: None})
def remove_my_channel(channel_id: int) -> tuple[None, int]:
    with rt().store.transaction() as db:
        me = caller(db)
        channels.remove_channel(rt(), db, me, channel_id, owner=me, source=source_address())
    return None, 204


@bp.operation("GET", "/notifications/channels", roles=policy.ADMINISTER, answers={200: ChannelList})
def list_org_channels() -> dict[str, Any]:
    """The organisation's channels, and how many security URLs the environment gives."""
    with rt().store.session() as db:
        return {
            "channels": [channels.channel_to_dict(c) for c in channels.list_channels(db, None)],
            "security_urls": len(rt().settings.notify_urls),
        }


@bp.operation(
    "POST",
    "/notifications/channels",
    body=NewOrgChannel,
    roles=policy.ADMINISTER,
    step_up=True,
    answers={201: Channel},
)
def add_org_channel(body: NewOrgChannel) -> tuple[dict[str, Any], int]:
    """Add a channel of the organisation for some audiences (``security``: every security
    alert and watch alert; ``reviews``: posts awaiting review; ``posts``: what became of
    posts)."""
    with rt().store.transaction() as db:
        channel = channels.add_channel(
            rt(),
            db,
            caller(db),
            owner=None,
            name=body.name,
            url=body.url,
            audiences=body.audiences,
            source=source_address(),
        )
        return channels.channel_to_dict(channel), 201


class StepUp(SteppedUp):
    """Only the fresh TOTP proof."""


@bp.operation(
    "POST",
    "/notifications/channels/<id:channel_id>/remove",
    body=StepUp,
    roles=policy.ADMINISTER,
    step_up=True,
    answers={204: None},
)
def remove_org_channel(channel_id: int, body: StepUp) -> tuple[None, int]:
    """Remove one of the organisation's channels (a sensitive change: it may silence
    alerts)."""
    with rt().store.transaction() as db:
        channels.remove_channel(
            rt(), db, caller(db), channel_id, owner=None, source=source_address()
        )
    return None, 204
