"""The platform's own words in a post's reason, and a bad token whatever status carries it.

Recordings (``mastodon_publish_4xx_*.json``, ``_502_nginx``, ``_422_plain_echo``) each cite
where their shape comes from: Mastodon's statuses API
(https://docs.joinmastodon.org/methods/statuses/#create), its Error entity
(https://docs.joinmastodon.org/entities/Error/), Doorkeeper's RFC 6750 answers (section 3.1),
and the reverse proxy in front of a Mastodon server.
"""

from __future__ import annotations

import pytest

from postgate.platforms.base import CredentialsError, PermanentError, RetryableError

from .test_mastodon import PUBLISH_TEXT


def publish(connect, recording: str):
    connector = connect("mastodon", recording)
    with pytest.raises(Exception) as caught:
        connector.publish(PUBLISH_TEXT, idempotency_key="post-42")
    return caught.value


@pytest.mark.parametrize(
    ("recording", "message"),
    [
        (
            "mastodon_publish_403_invalid_token.json",
            "mastodon: HTTP 403: invalid_token: The access token is invalid",
        ),
        (
            "mastodon_publish_400_token_revoked.json",
            "mastodon: HTTP 400: The access token was revoked",
        ),
        ("mastodon_publish_403_www_authenticate.json", "mastodon: HTTP 403: Forbidden"),
        (
            "mastodon_publish_403_outside_scopes.json",
            "mastodon: HTTP 403: This action is outside the authorized scopes",
        ),
    ],
)
def test_an_invalid_token_is_a_credentials_error_whatever_the_status(connect, recording, message):
    """A token refused, whatever status carries it, or one without the scopes the call needs
    (no WWW-Authenticate then: the words say it): the account must be connected again."""
    error = publish(connect, recording)
    assert type(error) is CredentialsError
    assert error.message == message


def test_a_403_about_something_else_stays_a_permanent_refusal(connect):
    error = publish(connect, "mastodon_publish_403_forbidden.json")
    assert type(error) is PermanentError
    assert error.message == "mastodon: HTTP 403: This action is not allowed"


def test_an_html_error_page_is_read_as_text_without_its_markup_or_scripts(connect):
    error = publish(connect, "mastodon_publish_502_nginx.json")
    assert isinstance(error, RetryableError) and error.outcome_unknown
    assert error.message == "mastodon: HTTP 502: 502 Bad Gateway 502 Bad Gateway nginx/1.24.0"


def test_a_plain_text_body_is_kept_cut_on_one_line_and_redacted(connect):
    error = publish(connect, "mastodon_publish_422_plain_echo.json")
    assert type(error) is PermanentError
    assert error.message.startswith(
        "mastodon: HTTP 422: Validation failed for token [redacted]: Text character limit"
    )
    assert "SECRET" not in error.message and "\n" not in error.message
    assert "\x1b" not in error.message
    assert len(error.message) <= len("mastodon: HTTP 422: ") + 300 + len("[redacted]")
