"""The platform registry: every entry complete, connectors built from it, checks on input."""

from __future__ import annotations

import pytest

from postgate.platforms.base import CredentialsError
from postgate.platforms.registry import PLATFORMS, connector_for, platform_names, platform_spec

from .conftest import BASE_URLS, CREDENTIALS
from .replay import RECORDINGS


def test_the_credentials_each_platform_needs():
    required = {name: spec.required_credentials for name, spec in PLATFORMS.items()}
    assert required == {
        "mastodon": ("token",),
        "sandbox": ("token",),
        "bluesky": ("identifier", "app_password"),
        "x": ("access_token",),
        "linkedin": ("access_token", "organization_id"),
        "facebook": ("access_token", "page_id"),
        "instagram": ("access_token", "ig_user_id"),
        "threads": ("access_token",),
        "webhook": ("url", "secret"),
    }
    assert PLATFORMS["bluesky"].secret_credentials == ("app_password",)
    assert PLATFORMS["webhook"].secret_credentials == ("url", "secret")


@pytest.mark.parametrize("spec", PLATFORMS.values(), ids=platform_names())
def test_every_entry_is_complete_and_cites_its_sources(spec):
    assert spec.name and spec.title and spec.docs
    assert spec.required_credentials, "a platform needs at least one credential"
    assert spec.limits.max_length > 0 and spec.limits.max_media > 0
    for quota in (spec.post_quota, spec.delete_quota):
        assert quota is None or (quota.calls > 0 and quota.seconds > 0)
    # A platform whose API cannot delete (Instagram) is said so: the takedown preview sends
    # the lead to delete by hand (tests/postgate/platforms/test_capabilities.py).
    assert (spec.issue_credentials is not None) == spec.local
    assert spec.name in CREDENTIALS, "the recorded tests need the platform's test credentials"
    assert list(RECORDINGS.glob(f"{spec.name}_*.json")), "a platform comes with recordings"


@pytest.mark.parametrize("platform", platform_names())
def test_connector_for_builds_each_platform(platform):
    credentials = CREDENTIALS[platform]
    with connector_for(
        platform, base_url=BASE_URLS.get(platform), credentials=credentials
    ) as connector:
        assert connector.platform == platform
        assert repr(connector) == f"<{type(connector).__name__} platform={platform!r}>"


@pytest.mark.parametrize("platform", platform_names())
def test_connectors_redact_exactly_the_secret_fields(platform):
    spec = PLATFORMS[platform]
    credentials = {c.name: f"{platform}-{c.name}-value" for c in spec.credentials}
    with connector_for(
        platform, base_url=BASE_URLS.get(platform), credentials=credentials
    ) as connector:
        shown = connector._redact(" ".join(credentials.values()))
    for credential in spec.credentials:
        value = credentials[credential.name]
        assert (value not in shown) == credential.secret, credential.name


def test_missing_credential_names_the_field_without_showing_values():
    with pytest.raises(CredentialsError) as caught:
        connector_for(
            "bluesky",
            base_url=None,
            credentials={"identifier": "acme.bsky.social", "app_password": ""},
        )

    assert "app_password" in caught.value.message
    assert "acme.bsky.social" not in caught.value.message


def test_unknown_platform_is_a_configuration_error():
    with pytest.raises(ValueError, match="unknown platform"):
        connector_for("myspace", base_url=None, credentials={"token": "t"})
    with pytest.raises(ValueError, match="unknown platform 'myspace'"):
        platform_spec("myspace")


@pytest.mark.parametrize("platform", [n for n, s in PLATFORMS.items() if s.needs_base_url])
def test_platforms_on_a_server_of_their_own_need_a_base_url(platform):
    with pytest.raises(ValueError, match="base_url"):
        connector_for(platform, base_url=None, credentials={"token": "t"})
