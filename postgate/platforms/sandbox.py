"""The local sandbox platform, as Postgate reaches it: over HTTP, like any other platform.

The sandbox (the top-level ``sandbox`` package, a server of its own) speaks the subset of the
Mastodon API that :class:`~postgate.platforms.mastodon.MastodonConnector` uses, so it needs no
connector of its own. It also has control endpoints; Postgate uses one of them: an admin who
connects a sandbox account without a token gets one issued for the account of that name
(``POST /sandbox/accounts/<name>/tokens``). Postgate imports none of the sandbox's code.
"""

from __future__ import annotations

from urllib.parse import quote

import httpx

TIMEOUT = 10.0


class SandboxRefused(Exception):
    """The sandbox answered, but not with a token."""


def issue_token(base_url: str, account_name: str) -> dict[str, str]:
    """Credentials for the sandbox account ``account_name`` (created if needed): the token
    and the client credentials of the app it was issued to, which revoking it needs.

    Raises ``httpx.HTTPError`` when nothing answers and :class:`SandboxRefused` when the
    answer holds no token.
    """
    url = f"{base_url.rstrip('/')}/sandbox/accounts/{quote(account_name, safe='')}/tokens"
    response = httpx.post(url, timeout=TIMEOUT)
    try:
        body = response.json() if response.is_success else {}
        token = body.get("access_token")
    except (ValueError, AttributeError):
        body, token = {}, None
    if not isinstance(token, str) or not token:
        raise SandboxRefused(f"sandbox answered {response.status_code} without a token")
    credentials = {"token": token}
    for field in ("client_id", "client_secret"):
        if isinstance(body.get(field), str) and body[field]:
            credentials[field] = body[field]
    return credentials
