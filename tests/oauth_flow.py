"""Walking an OAuth consent the way a browser does, for the connect tests: follow the link
Postgate shows to the platform, and answer the sandbox's consent page."""

from __future__ import annotations

import html
import re
from urllib.parse import parse_qsl, urlsplit

import httpx


def continue_link(started) -> str:
    """The page Connect answers: a link to the platform's consent page (a form's redirect to
    another origin would break ``form-action 'self'``)."""
    assert started.status_code == 200, started.get_data(as_text=True)
    found = re.search(r'id="continue"[^>]*href="([^"]+)"', started.get_data(as_text=True))
    assert found, started.get_data(as_text=True)
    return html.unescape(found.group(1))


def consent(authorize_url: str, account: str = "acme", decision: str = "authorize") -> str:
    """The admin on the sandbox's consent page: shown, then answered. Returns where the
    sandbox sends the browser back (Postgate's callback, as a path with its query)."""
    page = httpx.get(authorize_url)
    assert page.status_code == 200 and "Authorize" in page.text and "Deny" in page.text
    params = dict(parse_qsl(urlsplit(authorize_url).query))
    base = authorize_url.split("/oauth/authorize")[0]
    answer = httpx.post(
        f"{base}/oauth/authorize", data={**params, "account": account, "decision": decision}
    )
    assert answer.status_code == 302, answer.text
    back = urlsplit(answer.headers["location"])
    return f"{back.path}?{back.query}"
