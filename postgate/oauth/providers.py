"""Each platform's authorization server, as data: one :class:`OAuthProvider` per platform.

Keyed by the platform's registry name. Everything the connect flow and the refresh job do
differently per platform is a field here: where to send the admin (``authorize_url``) and
where to trade the code (``token_url``), the scopes and how they are joined, whether PKCE is
sent, how the client authenticates, how the token lives on (refreshed with a refresh token,
refreshed by itself like Threads', or not expiring at all), and what the admin chooses after
consent (a LinkedIn organisation, a Facebook Page, the Instagram account linked to a Page).
Each fact cites the platform's page in ``docs``.

A Mastodon server is its own authorization server: ``per_instance`` providers register an
app on the server the admin names (``POST /api/v1/apps``) and their URLs are paths on it.
Every absolute URL may be replaced by the settings (``[oauth.<platform>]``, see
:mod:`postgate.oauth.config`), which is how the tests point a flow at a local stand-in.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, replace
from typing import Any, Literal


class Refresh(enum.StrEnum):
    """How a platform's token is kept alive."""

    NEVER = "never"  # it does not expire (Mastodon, a Facebook Page token)
    GRANT = "grant"  # RFC 6749 section 6, with the refresh token it issued
    SELF = "self"  # the long-lived token itself is traded for a new one (Threads)


class Pick(enum.StrEnum):
    """What the admin chooses after consent: the account the token is to act as."""

    NONE = "none"  # the user who consented is the account (Mastodon, X, Threads)
    ORGANIZATION = "organization"  # a LinkedIn organisation the member administers
    PAGE = "page"  # a Facebook Page the user manages (its Page token)
    INSTAGRAM = "instagram"  # the Instagram professional account linked to such a Page


ClientAuth = Literal["basic", "body"]


@dataclass(frozen=True)
class OAuthProvider:
    """One platform's OAuth 2.0 authorization code flow, and what follows it."""

    platform: str
    title: str
    authorize_url: str
    token_url: str
    scopes: tuple[str, ...]
    docs: tuple[str, ...]
    scope_separator: str = " "
    pkce: bool = False
    client_auth: ClientAuth = "body"
    exchange_method: Literal["GET", "POST"] = "POST"
    per_instance: bool = False  # a Mastodon server: app registered on it, URLs are paths
    refresh: Refresh = Refresh.NEVER
    pick: Pick = Pick.NONE
    # A short-lived token traded at once for a long-lived one (Meta): the grant and where.
    long_lived_grant: str = ""
    long_lived_url: str = ""
    refresh_url: str = ""  # where SELF refreshes go (Threads)
    api_url: str = ""  # the API that lists what the admin may pick, and says who consented
    credential_field: str = "access_token"  # the credential field the token goes to
    target_field: str = ""  # the credential field the picked page or organisation goes to
    choice_token_field: str = ""  # where a picked Page's own token goes (none: not kept)
    keeps_expiry: bool = True  # False: what posts never expires (a Page token), whatever the
    # user token does
    keep_client: bool = False  # the app's id and secret go with the token (revoking needs them)

    def with_urls(self, urls: dict[str, str]) -> OAuthProvider:
        """This provider with some absolute URLs replaced (the settings' ``[oauth.<name>]``)."""
        known: dict[str, Any] = {k: v for k, v in urls.items() if k in URL_FIELDS and v}
        return replace(self, **known) if known else self


URL_FIELDS = ("authorize_url", "token_url", "long_lived_url", "refresh_url", "api_url")

_MASTODON_DOCS = (
    "https://docs.joinmastodon.org/methods/apps/#create",
    "https://docs.joinmastodon.org/methods/oauth/#authorize",
    "https://docs.joinmastodon.org/methods/oauth/#token",
    "https://docs.joinmastodon.org/methods/oauth/#revoke",
    "https://docs.joinmastodon.org/spec/oauth/ (PKCE with S256, since 4.3)",
)


def _mastodon(platform: str, title: str) -> OAuthProvider:
    return OAuthProvider(
        platform=platform,
        title=title,
        authorize_url="/oauth/authorize",
        token_url="/oauth/token",  # noqa: S106 - a path, not a password
        scopes=("read", "write"),
        pkce=True,
        per_instance=True,
        credential_field="token",
        keep_client=True,
        docs=_MASTODON_DOCS,
    )


X = OAuthProvider(
    platform="x",
    title="X",
    authorize_url="https://x.com/i/oauth2/authorize",
    token_url="https://api.x.com/2/oauth2/token",  # noqa: S106
    # media.write for images; offline.access for a refresh token (else 2 hours, then over).
    scopes=("tweet.read", "tweet.write", "users.read", "media.write", "offline.access"),
    pkce=True,
    client_auth="basic",  # a confidential client: HTTP Basic on the token endpoint
    refresh=Refresh.GRANT,  # each refresh answers a new refresh token (rotation)
    api_url="https://api.x.com",
    keep_client=True,
    docs=(
        "https://docs.x.com/fundamentals/authentication/oauth-2-0/authorization-code",
        "https://docs.x.com/fundamentals/authentication/oauth-2-0/user-access-token",
    ),
)

LINKEDIN = OAuthProvider(
    platform="linkedin",
    title="LinkedIn",
    authorize_url="https://www.linkedin.com/oauth/v2/authorization",
    token_url="https://www.linkedin.com/oauth/v2/accessToken",  # noqa: S106
    # Post, list and delete as an organisation; rw_organization_admin lists the ones the
    # member administers (organizationAcls).
    scopes=("w_organization_social", "r_organization_social", "rw_organization_admin"),
    refresh=Refresh.GRANT,  # 60-day tokens; refresh tokens for approved MDP apps
    pick=Pick.ORGANIZATION,
    api_url="https://api.linkedin.com",
    target_field="organization_id",
    keep_client=True,
    docs=(
        "https://learn.microsoft.com/en-us/linkedin/shared/authentication/authorization-code-flow",
        "https://learn.microsoft.com/en-us/linkedin/shared/authentication/programmatic-refresh-tokens",
        "https://learn.microsoft.com/en-us/linkedin/marketing/community-management/organizations/organization-access-control-by-role",
    ),
)

_GRAPH = "https://graph.facebook.com/v25.0"
_META_LOGIN = (
    "https://developers.facebook.com/docs/facebook-login/guides/advanced/manual-flow",
    "https://developers.facebook.com/documentation/facebook-login/guides/access-tokens/get-long-lived",
    "https://developers.facebook.com/docs/graph-api/reference/user/accounts/",
)

FACEBOOK = OAuthProvider(
    platform="facebook",
    title="Facebook",
    authorize_url="https://www.facebook.com/v25.0/dialog/oauth",
    token_url=f"{_GRAPH}/oauth/access_token",
    scopes=("pages_show_list", "pages_manage_posts", "pages_read_engagement"),
    scope_separator=",",
    exchange_method="GET",
    # A Page token derived from a long-lived user token does not expire.
    long_lived_grant="fb_exchange_token",
    long_lived_url=f"{_GRAPH}/oauth/access_token",
    pick=Pick.PAGE,
    api_url=_GRAPH,
    target_field="page_id",
    choice_token_field="page_access_token",  # noqa: S106 - a field name; the user token verifies
    keeps_expiry=False,
    docs=_META_LOGIN,
)

INSTAGRAM = OAuthProvider(
    platform="instagram",
    title="Instagram",
    authorize_url="https://www.facebook.com/v25.0/dialog/oauth",
    token_url=f"{_GRAPH}/oauth/access_token",
    scopes=(
        "instagram_basic",
        "instagram_content_publish",
        "pages_show_list",
        "pages_read_engagement",
        "business_management",
    ),
    scope_separator=",",
    exchange_method="GET",
    long_lived_grant="fb_exchange_token",
    long_lived_url=f"{_GRAPH}/oauth/access_token",
    pick=Pick.INSTAGRAM,
    api_url=_GRAPH,
    target_field="ig_user_id",
    docs=(
        *_META_LOGIN,
        "https://developers.facebook.com/docs/instagram-platform/instagram-api-with-facebook-login/get-started",
    ),
)

THREADS = OAuthProvider(
    platform="threads",
    title="Threads",
    authorize_url="https://threads.net/oauth/authorize",
    token_url="https://graph.threads.net/oauth/access_token",  # noqa: S106
    scopes=("threads_basic", "threads_content_publish", "threads_delete"),
    scope_separator=",",
    # One hour, traded at once for 60 days, refreshed (at least a day old) before it ends.
    long_lived_grant="th_exchange_token",
    long_lived_url="https://graph.threads.net/access_token",
    refresh=Refresh.SELF,
    refresh_url="https://graph.threads.net/refresh_access_token",
    api_url="https://graph.threads.net/v1.0",
    target_field="user_id",
    docs=(
        "https://developers.facebook.com/documentation/threads/get-started/get-access-tokens-and-permissions",
        "https://developers.facebook.com/docs/threads/get-started/long-lived-tokens/",
    ),
)

PROVIDERS: dict[str, OAuthProvider] = {
    p.platform: p
    for p in (
        _mastodon("sandbox", "Sandbox"),
        _mastodon("mastodon", "Mastodon"),
        X,
        LINKEDIN,
        FACEBOOK,
        INSTAGRAM,
        THREADS,
    )
}


def oauth_platforms() -> tuple[str, ...]:
    """The platforms an account can be connected to with the platform's consent screen."""
    return tuple(PROVIDERS)


def provider(platform: str) -> OAuthProvider | None:
    """The platform's provider, or None where credentials are typed in (Bluesky, webhook)."""
    return PROVIDERS.get(platform)
