"""One message to one Apprise URL, with the outbox row's id in a header.

Apprise speaks to each service (SMTP, Slack, Teams, Mattermost, JSON webhooks...). The
header ``X-Postgate-Message: <outbox id>`` goes with webhooks and e-mails alike, so a
receiver can recognise the rare second copy that only a worker killed between the
service's answer and the store's record can cause (docs/notifications.md).
"""

from __future__ import annotations

import logging
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import apprise

from postgate.notifications.messages import Message

HEADER = "X-Postgate-Message"
HEADER_SCHEMES = frozenset({"json", "jsons", "xml", "xmls", "form", "forms", "mailto", "mailtos"})


def with_message_id(url: str, message_id: int) -> str:
    """``url`` carrying the message id as a header, where Apprise lets a URL set headers."""
    parts = urlsplit(url)
    if parts.scheme.lower() not in HEADER_SCHEMES:
        return url
    query = [(k, v) for k, v in parse_qsl(parts.query) if k != f"+{HEADER}"]
    query.append((f"+{HEADER}", str(message_id)))
    return urlunsplit(parts._replace(query=urlencode(query)))


def warm_up() -> None:
    """Have Apprise find its service plugins now (about a second, the first time in a
    process): a worker does it before forking its work horses, which then inherit them, so a
    message waits for its service only, not for a second of imports in every horse."""
    apprise.Apprise().add("json://localhost")  # parses the URL; nothing is sent


def send(url: str, message: Message, message_id: int) -> str:
    """Send; "" when the service accepted it, else what went wrong (no URL in it)."""
    client = apprise.Apprise()
    if not client.add(with_message_id(url, message_id)):
        return "Apprise does not understand this channel's URL"
    with apprise.LogCapture(level=logging.WARNING) as captured:
        ok = client.notify(
            title=message.title, body=message.body, body_format=apprise.NotifyFormat.TEXT
        )
    if ok:
        return ""
    said = captured.getvalue().strip().splitlines() if hasattr(captured, "getvalue") else []
    return (said[-1] if said else "the service did not accept the message")[:300]
