"""Meta's Graph API errors are classified by their code, whatever HTTP status carries them
(https://developers.facebook.com/docs/graph-api/guides/error-handling/), and the wait comes
from X-Business-Use-Case-Usage (https://developers.facebook.com/docs/graph-api/overview/rate-limiting/)."""

from __future__ import annotations

import json

import httpx
import pytest

from postgate.platforms.graph import classify, describe, usage_wait
from postgate.platforms.http import CREDENTIALS, PERMANENT, RATE_LIMITED, RETRYABLE


def _error(code: int, subcode: int | None = None, **extra: object) -> dict:
    error = {"message": "m", "type": "OAuthException", "code": code, "fbtrace_id": "A", **extra}
    if subcode:
        error["error_subcode"] = subcode
    return {"error": error}


@pytest.mark.parametrize(
    ("status", "body", "kind"),
    [
        (400, _error(4), RATE_LIMITED),  # application request limit
        (400, _error(17), RATE_LIMITED),  # user request limit
        (400, _error(32), RATE_LIMITED),  # page request limit
        (400, _error(613), RATE_LIMITED),  # calls within one hour exceeded
        (400, _error(80001), RATE_LIMITED),  # business use case: pages
        (400, _error(9, 2207042), RATE_LIMITED),  # Instagram's publishing limit
        (400, _error(368, 1390008), RATE_LIMITED),  # temporarily blocked (waits an hour)
        (400, _error(190, 463), CREDENTIALS),  # expired
        (400, _error(190, 460), CREDENTIALS),  # password changed
        (400, _error(102), CREDENTIALS),  # session
        (400, _error(1), RETRYABLE),
        (400, _error(2), RETRYABLE),
        (400, _error(100, is_transient=True), RETRYABLE),
        (400, _error(100, 33), PERMANENT),
        (403, _error(200), PERMANENT),
        (403, _error(10), PERMANENT),
    ],
)
def test_codes_decide_the_kind(status, body, kind):
    verdict = classify(status, body, httpx.Headers())
    assert verdict is not None and verdict[0] == kind


def test_server_errors_and_foreign_bodies_keep_the_status_meaning():
    assert classify(500, _error(2, is_transient=True), httpx.Headers()) is None
    assert classify(400, {"detail": "not Graph"}, httpx.Headers()) is None
    assert classify(400, _error(368), httpx.Headers()) == (RATE_LIMITED, 3600.0)


def test_the_longest_estimate_of_the_usage_header_is_the_wait():
    usage = {
        "1": [{"type": "pages", "estimated_time_to_regain_access": 3}],
        "2": [{"type": "instagram", "estimated_time_to_regain_access": 7}],
    }
    assert usage_wait(httpx.Headers({"x-business-use-case-usage": json.dumps(usage)})) == 420
    assert usage_wait(httpx.Headers({"x-business-use-case-usage": "not json"})) is None
    assert usage_wait(httpx.Headers({"x-app-usage": '{"call_count": 100}'})) is None


def test_the_description_keeps_metas_words_and_codes():
    body = _error(190, 463)
    body["error"]["message"] = "Error validating access token: Session has expired"
    assert (
        describe(body)
        == "Error validating access token: Session has expired (code 190, subcode 463)"
    )
    assert describe({"error": "x"}) is None
