"""What the security lead must do by hand, per platform, when Postgate could not kill a
stolen credential itself (docs/crisis.md has the same steps, with more context).

A takedown stores one of these with ``credentials_revoked: false`` so the console and the
API say exactly where to go; the wording stays short enough for one line of a table.
"""

from __future__ import annotations


def N_(message: str) -> str:
    """Mark a step for translation where it is shown (``gateway.reasons``); extraction only."""
    return message


MANUAL_REVOKE: dict[str, str] = {
    "mastodon": N_(
        "on the server, Preferences > Account > Authorized apps: revoke the app's access, then"
        " change the password and reconnect the account with a new token and its client"
        " credentials"
    ),
    "sandbox": N_(
        "issue a new token (postgate sandbox token NAME) and reconnect the account; the old one"
        " is revoked with its client credentials (POST /oauth/revoke)"
    ),
    "bluesky": N_(
        "in Bluesky, Settings > Privacy and security > App passwords: delete the app password,"
        " change the account password, then reconnect with a new app password"
    ),
    "x": N_(
        "in X, Settings > Security and account access > Apps and sessions: revoke the app's"
        " access and log out other sessions, then reconnect"
    ),
    "linkedin": N_(
        "on LinkedIn, the page's Admin tools > Manage admins: remove the compromised member; on"
        " the member's account, Settings > Data privacy > Other applications > Permitted"
        " services: remove the app, then reconnect"
    ),
    "facebook": N_(
        "on Facebook, Settings > Business integrations: remove the app; check the page's roles"
        " in Meta Business Suite, then reconnect"
    ),
    "instagram": N_(
        "on Facebook, Settings > Business integrations: remove the app; in Instagram, Settings >"
        " Security: change the password, then reconnect"
    ),
    "threads": N_(
        "in Threads, Settings > Account > Website permissions: remove the app and change the"
        " password, then reconnect"
    ),
    "webhook": N_(
        "rotate the shared secret on the receiving side and in Postgate (the URL too if it"
        " embeds a token)"
    ),
}

GENERIC = N_("revoke the credential in the platform's settings and reconnect the account")


def manual_revoke(platform: str) -> str:
    """The manual step for ``platform`` (a generic one for a platform not listed)."""
    return MANUAL_REVOKE.get(platform, GENERIC)
