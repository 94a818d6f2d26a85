"""Header parsing and HTML-to-text conversion, case by case."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest

from postgate.platforms.bluesky import _tid_time
from postgate.platforms.html_text import html_to_text
from postgate.platforms.ratelimit import retry_after

from .conftest import NOW


def _wait(headers: dict[str, str], reset_header: str | None = None, epoch: bool = True):
    return retry_after(
        httpx.Headers(headers), reset_header=reset_header, reset_is_epoch=epoch, clock=lambda: NOW
    )


@pytest.mark.parametrize(
    ("headers", "reset_header", "epoch", "expected"),
    [
        ({"Retry-After": "120"}, None, True, 120.0),
        ({"Retry-After": "Wed, 01 May 2024 12:00:45 GMT"}, None, True, 45.0),
        ({"x-ratelimit-reset": "2024-05-01T12:10:00.000000Z"}, "x-ratelimit-reset", False, 600.0),
        ({"ratelimit-reset": "1714564830"}, "ratelimit-reset", True, 30.0),
        ({"ratelimit-reset": "1714564000"}, "ratelimit-reset", True, 0.0),  # already past
        ({"ratelimit-reset": "soon"}, "ratelimit-reset", True, None),
        ({}, "ratelimit-reset", True, None),
    ],
)
def test_retry_after(headers, reset_header, epoch, expected):
    assert _wait(headers, reset_header, epoch) == expected


def test_a_server_clock_ahead_of_ours_does_not_shorten_the_wait():
    headers = {"Date": "Wed, 01 May 2024 12:30:00 GMT", "ratelimit-reset": "1714566660"}

    assert _wait(headers, "ratelimit-reset") == pytest.approx(60.0)


@pytest.mark.parametrize(
    ("html", "text"),
    [
        ("<p>One</p><p>Two</p><p>Three</p>", "One\n\nTwo\n\nThree"),
        ("<p>a<br>b<br/>c</p>", "a\nb\nc"),
        (
            "<p>&lt;script&gt; &amp;&amp; &quot;q&quot; &#39;s&#39; caf&#233;</p>",
            "<script> && \"q\" 's' café",
        ),
        (
            '<p><span class="h-card"><a href="https://m.example/@bob" class="u-url mention">'
            "@<span>bob</span></a></span> see "
            '<a href="https://m.example/tags/launch" class="mention hashtag" rel="tag">'
            "#<span>launch</span></a></p>",
            "@bob see #launch",
        ),
        ("", ""),
    ],
)
def test_html_to_text(html, text):
    assert html_to_text(html) == text


def _encode_tid(when: datetime, clock_id: int = 7) -> str:
    """An independent TID encoder: 64 bits, base32-sortable, 13 characters."""
    alphabet = "234567abcdefghijklmnopqrstuvwxyz"
    number = (int(when.timestamp()) * 1_000_000 + when.microsecond) << 10 | clock_id
    return "".join(alphabet[(number >> (5 * i)) & 31] for i in reversed(range(13)))


def test_tid_record_keys_carry_their_creation_time():
    when = datetime(2024, 4, 30, 23, 59, 58, 123456, tzinfo=UTC)

    assert _tid_time(_encode_tid(when)) == when
    assert _tid_time("not-a-tid") == datetime(1970, 1, 1, tzinfo=UTC)
