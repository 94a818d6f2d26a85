"""connector_for: platform lookup, configuration and credential checks."""

from __future__ import annotations

import pytest

from workers.connectors import REQUIRED_CREDENTIALS, CredentialsError, connector_for

from .conftest import CREDENTIALS


def test_every_platform_has_its_required_credentials_listed():
    assert REQUIRED_CREDENTIALS == {
        "mastodon": ("token",),
        "sandbox": ("token",),
        "bluesky": ("identifier", "app_password"),
        "x": ("access_token",),
        "webhook": ("url", "secret"),
    }


@pytest.mark.parametrize("platform", sorted(REQUIRED_CREDENTIALS))
def test_connector_for_builds_each_platform(platform):
    base_url = "https://mastodon.example" if platform in ("mastodon", "sandbox") else None

    with connector_for(platform, base_url=base_url, credentials=CREDENTIALS[platform]) as connector:
        assert connector.platform == platform


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


@pytest.mark.parametrize("platform", ["mastodon", "sandbox"])
def test_mastodon_needs_a_base_url(platform):
    with pytest.raises(ValueError, match="base_url"):
        connector_for(platform, base_url=None, credentials={"token": "t"})
