"""The platform registry: one :class:`PlatformSpec` per platform Postgate publishes to.

Everything that differs between platforms derives from these entries: the accounts service
(credentials, server address), the CLI's and the web form's platform choices, the rule
engine's length and media limits, the connector a worker builds, and the tests. Adding a
platform is one connector module, one entry below and its recorded tests
(``docs/architecture.md``, "Adding a platform").

Limits and quotas are the platforms' documented defaults (each entry cites its pages); a
server may set others (a Mastodon instance its own character limit), which the rules
configuration can override with ``max_length`` and ``max_media``.
"""

from __future__ import annotations

from functools import partial

import httpx

from postgate.platforms.base import Clock, Connector, CredentialsError, utc_now
from postgate.platforms.bluesky import BlueskyConnector
from postgate.platforms.facebook import FacebookConnector
from postgate.platforms.instagram import InstagramConnector
from postgate.platforms.linkedin import LinkedInConnector
from postgate.platforms.mastodon import MastodonConnector
from postgate.platforms.sandbox import issue_token
from postgate.platforms.spec import Capabilities, Credential, PlatformSpec, Quota, ReadBack
from postgate.platforms.threads import ThreadsConnector
from postgate.platforms.webhook import WebhookConnector
from postgate.platforms.x import XConnector
from rules import PlatformLimits

# What an OAuth connection fills in besides the access token (docs/platforms.md).
_EXPIRES_AT = Credential("expires_at", secret=False, required=False)  # ISO 8601, UTC
_REFRESH_TOKEN = Credential("refresh_token", required=False)
DAY = 24 * 3600

_MASTODON_LIMITS = PlatformLimits(
    max_length=500,
    max_media=4,
    url_length=23,
    local_mentions=True,
    max_alt_length=1500,
    max_image_bytes=16 * 1024 * 1024,
)
_MASTODON_CREDENTIALS = (
    Credential("token"),
    Credential("client_id", secret=False, required=False),  # revoking needs the app's pair
    Credential("client_secret", required=False),
)
_MASTODON_CAPABILITIES = Capabilities(
    idempotency=True,
    delete=True,
    list_non_public=True,
    revoke=True,
    server_limits=True,
    edit=True,
    streaming=True,  # the user stream (server-sent events), read by the watch
)

MASTODON = PlatformSpec(
    name="mastodon",
    title="Mastodon",
    credentials=_MASTODON_CREDENTIALS,
    needs_base_url=True,
    limits=_MASTODON_LIMITS,
    post_quota=Quota(300, 5 * 60),  # every authenticated call counts against this one
    call_quota=Quota(300, 5 * 60),
    delete_quota=Quota(30, 30 * 60),
    capabilities=_MASTODON_CAPABILITIES,
    connector=partial(MastodonConnector, platform="mastodon"),
    docs=(
        "https://docs.joinmastodon.org/user/posting/#text",
        "https://docs.joinmastodon.org/api/rate-limits/",
        "https://docs.joinmastodon.org/methods/statuses/#create",
        "https://docs.joinmastodon.org/methods/media/#v2 (description: 1500 characters)",
        "https://docs.joinmastodon.org/methods/instance/#v2 (configuration.statuses limits)",
        "mastodon/mastodon app/models/account_statuses_filter.rb (the author lists all)",
        "https://docs.joinmastodon.org/methods/streaming/ (GET /api/v1/streaming/user)",
        "https://docs.joinmastodon.org/api/rate-limits/ (300 calls per 5 minutes per account)",
    ),
)

SANDBOX = PlatformSpec(
    name="sandbox",
    title="Sandbox",
    credentials=_MASTODON_CREDENTIALS,
    needs_base_url=True,
    limits=_MASTODON_LIMITS,
    delete_quota=Quota(30, 30 * 60),  # its realistic deletion limit (docs/sandbox.md)
    capabilities=_MASTODON_CAPABILITIES,
    connector=partial(MastodonConnector, platform="sandbox"),
    docs=("the sandbox package: the Mastodon API subset above, with no quota by default",),
    local=True,
    issue_credentials=issue_token,
)

BLUESKY = PlatformSpec(
    name="bluesky",
    title="Bluesky",
    credentials=(Credential("identifier", secret=False), Credential("app_password")),
    # Graphemes of the raw text; alt text as the Bluesky app bounds it.
    limits=PlatformLimits(
        max_length=300, max_media=4, max_alt_length=2000, max_image_bytes=1_000_000
    ),
    post_quota=Quota(1666, 3600),  # 5,000 points an hour, 3 a create
    call_quota=Quota(3000, 5 * 60),  # the PDS's global limit
    delete_quota=Quota(5000, 3600),  # 1 point a delete
    # Every record is public and listRecords lists them all.
    capabilities=Capabilities(idempotency=False, delete=True, list_non_public=True, revoke=True),
    connector=BlueskyConnector,
    docs=(
        "https://docs.bsky.app/docs/advanced-guides/rate-limits",
        "https://github.com/bluesky-social/atproto/blob/main/lexicons/app/bsky/feed/post.json",
        "https://github.com/bluesky-social/atproto/blob/main/lexicons/app/bsky/embed/images.json",
    ),
)

X = PlatformSpec(
    name="x",
    title="X",
    credentials=(
        Credential("access_token"),
        Credential("client_id", secret=False, required=False),
        Credential("client_secret", required=False),
        _EXPIRES_AT,
        _REFRESH_TOKEN,
    ),
    limits=PlatformLimits(
        max_length=280,
        max_media=4,
        url_length=23,
        bare_domains=True,
        weighted=True,
        max_alt_length=1000,
        max_image_bytes=5 * 1024 * 1024,
    ),
    post_quota=Quota(200, 15 * 60),  # and 300 per 3 hours, shared with reposts
    delete_quota=Quota(50, 15 * 60),
    # A protected account's posts are listed to its own token; X serves the last 3200.
    capabilities=Capabilities(idempotency=False, delete=True, list_non_public=True, revoke=True),
    connector=XConnector,
    docs=(
        "https://docs.x.com/resources/fundamentals/counting-characters",
        "https://developer.x.com/en/docs/x-api/tweets/manage-tweets",
        "https://docs.x.com/x-api/posts/manage-tweets/migrate/overview",
        "https://docs.x.com/x-api/media/metadata-create (alt_text: 1000 characters)",
    ),
)

WEBHOOK = PlatformSpec(
    name="webhook",
    title="Webhook",
    credentials=(Credential("url"), Credential("secret")),  # many URLs embed a token
    limits=PlatformLimits(max_length=10_000, max_media=10, max_alt_length=1500),  # our bounds
    # The receiver deduplicates on idempotency_key; it cannot be listed nor revoked.
    capabilities=Capabilities(idempotency=True, delete=True, list_non_public=False, revoke=False),
    read_back=ReadBack.RESEND,
    connector=WebhookConnector,
    docs=("postgate/platforms/webhook.py: the contract a receiver implements",),
)


LINKEDIN = PlatformSpec(
    name="linkedin",
    title="LinkedIn",
    credentials=(
        Credential("access_token"),
        Credential("organization_id", secret=False),  # 2414183 or urn:li:organization:2414183
        _EXPIRES_AT,
        _REFRESH_TOKEN,
        Credential("client_id", secret=False, required=False),  # revoking needs the app's pair
        Credential("client_secret", required=False),
    ),
    limits=PlatformLimits(max_length=3000, max_media=20, max_alt_length=4086),
    # Posts API: no idempotency key, no listing of what the page's token cannot author.
    capabilities=Capabilities(idempotency=False, delete=True, list_non_public=True, revoke=True),
    connector=LinkedInConnector,
    docs=(
        "https://learn.microsoft.com/en-us/linkedin/marketing/community-management/shares/posts-api",
        "https://learn.microsoft.com/en-us/linkedin/marketing/community-management/shares/images-api",
        "https://learn.microsoft.com/en-us/linkedin/marketing/community-management/shares/multiimage-post-api"
        " (2 to 20 images)",
        "https://learn.microsoft.com/en-us/linkedin/marketing/community-management/shares/little-text-format",
        "https://learn.microsoft.com/en-us/linkedin/shared/api-guide/concepts/rate-limits"
        " (daily limits, no fixed figure)",
    ),
)

FACEBOOK = PlatformSpec(
    name="facebook",
    title="Facebook Page",
    credentials=(
        Credential("access_token"),  # the user token (Facebook Login)
        Credential("page_id", secret=False),
        Credential("page_access_token", required=False),  # derived from the user token
        _EXPIRES_AT,
    ),
    limits=PlatformLimits(max_length=63_206, max_media=10, max_image_bytes=4 * 1024 * 1024),
    # published_posts lists the Page's published posts, not its unpublished (ads-only) ones.
    capabilities=Capabilities(idempotency=False, delete=True, list_non_public=False, revoke=True),
    connector=FacebookConnector,
    docs=(
        "https://developers.facebook.com/docs/pages-api/posts",
        "https://developers.facebook.com/docs/graph-api/reference/page/photos/",
        "https://developers.facebook.com/docs/graph-api/reference/page/published_posts/",
        "https://developers.facebook.com/docs/graph-api/overview/rate-limiting/"
        " (BUC limits, no fixed figure)",
        "https://developers.facebook.com/docs/graph-api/guides/error-handling/",
    ),
)

INSTAGRAM = PlatformSpec(
    name="instagram",
    title="Instagram",
    credentials=(
        Credential("access_token"),  # the Meta app's user token (Facebook Login)
        Credential("ig_user_id", secret=False),
        _EXPIRES_AT,
    ),
    limits=PlatformLimits(
        max_length=2200, max_media=10, min_media=1, max_image_bytes=8 * 1024 * 1024
    ),
    post_quota=Quota(50, DAY),  # media_publish: 50 posts in a moving 24 hours
    # A professional account's media are all listed; deleting needs Facebook Login's
    # instagram_manage_contents (Meta added DELETE /{ig-media-id} in December 2025).
    capabilities=Capabilities(idempotency=False, delete=True, list_non_public=True, revoke=True),
    connector=InstagramConnector,
    docs=(
        "https://developers.facebook.com/docs/instagram-platform/content-publishing/",
        "https://developers.facebook.com/docs/instagram-platform/instagram-graph-api/reference/ig-user/media_publish"
        " (50 posts in 24 hours)",
        "https://developers.facebook.com/docs/instagram-platform/instagram-graph-api/reference/ig-user/content_publishing_limit",
        "https://developers.facebook.com/docs/instagram-platform/reference/instagram-media"
        " (Deleting: DELETE /{ig-media-id}, instagram_manage_contents, Facebook Login)",
    ),
)

THREADS = PlatformSpec(
    name="threads",
    title="Threads",
    credentials=(
        Credential("access_token"),
        Credential("user_id", secret=False, required=False),  # "me" when absent
        _EXPIRES_AT,
    ),
    limits=PlatformLimits(max_length=500, max_media=20, max_image_bytes=8 * 1024 * 1024),
    post_quota=Quota(250, DAY),
    delete_quota=Quota(100, DAY),
    # No revocation endpoint: the lead removes the app in the Threads settings.
    capabilities=Capabilities(idempotency=False, delete=True, list_non_public=True, revoke=False),
    connector=ThreadsConnector,
    docs=(
        "https://developers.facebook.com/docs/threads/overview#rate-limiting"
        " (250 posts in 24 hours)",
        "https://developers.facebook.com/docs/threads/posts",
        "https://developers.facebook.com/docs/threads/posts/delete-posts (100 deletions a day)",
        "https://developers.facebook.com/docs/threads/threads-media",
    ),
)

PLATFORMS: dict[str, PlatformSpec] = {
    spec.name: spec
    for spec in (SANDBOX, MASTODON, BLUESKY, X, LINKEDIN, FACEBOOK, INSTAGRAM, THREADS, WEBHOOK)
}


def platform_names() -> tuple[str, ...]:
    """Every platform's name, in the registry's order (the order choices are offered in)."""
    return tuple(PLATFORMS)


def platform_spec(name: str) -> PlatformSpec:
    """The spec of ``name``; ValueError for a platform Postgate does not know."""
    spec = PLATFORMS.get(name)
    if spec is None:
        raise ValueError(f"unknown platform {name!r}")
    return spec


def connector_for(
    platform: str,
    *,
    base_url: str | None,
    credentials: dict[str, str],
    timeout: float = 10.0,
    transport: httpx.BaseTransport | None = None,
    clock: Clock = utc_now,
) -> Connector:
    """Build the connector for ``platform``.

    Raises ValueError for an unknown platform or a missing base URL (a configuration
    mistake), and :class:`CredentialsError` naming, never showing, a missing credential
    field, so the worker marks the account's credentials as broken. ``clock`` is for tests.
    """
    spec = platform_spec(platform)
    missing = spec.missing_credentials(credentials)
    if missing:
        raise CredentialsError(f"{platform}: missing credential field(s): {', '.join(missing)}")
    if spec.needs_base_url and not base_url:
        raise ValueError(f"{platform}: base_url is required (the server's address)")
    return spec.connector(
        base_url=base_url,
        credentials=dict(credentials),
        secrets=spec.secret_values(credentials),
        timeout=timeout,
        transport=transport,
        clock=clock,
    )
