"""The incident report stays inert wherever it is pasted: an attacker's posts, taken down by a
real takedown, rendered with GitHub's own Markdown renderer (cmark-gfm, raw HTML allowed, as
in the least careful wiki), give no link, image, HTML or heading of the attacker's making,
and the report's tables keep their shape. The same report as JSON and as the web page."""

from __future__ import annotations

from datetime import UTC, datetime
from html.parser import HTMLParser

import cmarkgfm
import pytest
from cmarkgfm.cmark import Options
from sqlalchemy import select

from postgate import safe_output
from postgate.services.incident import incident_report, report_markdown
from postgate.store.models import Takedown, TakedownItem, User
from sandbox import client as sandbox
from tests.helpers import make_account
from tests.workers.takedown.support import connect, start, wait_done
from tests.workers.takedown.support import platform as platform  # a fixture
from tests.workers.takedown.support import workers as workers  # a fixture

pytestmark = pytest.mark.platform_protocol

HOSTILE_POSTS = [
    "<script>alert('xss')</script> free money",
    "<img src=x onerror=alert(1)> win",
    "[claim your prize](https://evil.example/phish) now",
    "![](https://evil.example/pixel.png?who=report-reader)",
    "```\n# Everything is fine\n```\nclosing fence",
    "| forged | cells | in | the | table | here |",
    "visit https://evil.example/autolink or www.evil.example",
    "<https://evil.example/angle> and <a href='https://evil.example'>html link</a>",
    "`` ` `` backticks ```` and a lone ` one",
    "line one\n\n# A heading of mine\n\n---\n* a list",
    "&lt;script&gt; entities &amp; **bold** _em_ ~~strike~~ \\ backslash",
]


class Rendered(HTMLParser):
    """What a Markdown renderer made: the tags, links, images and table rows."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.hrefs: list[str] = []
        self.rows: list[list[str]] = []
        self._cell: list[str] | None = None
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list) -> None:
        self.tags.append(tag)
        if tag == "a":
            self.hrefs.append(dict(attrs).get("href", ""))
        elif tag == "tr":
            self.rows.append([])
        elif tag in ("td", "th"):
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None:
            self.rows[-1].append("".join(self._cell))
            self._cell = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def render(markdown: str) -> Rendered:
    return Rendered(
        cmarkgfm.github_flavored_markdown_to_html(markdown, options=Options.CMARK_OPT_UNSAFE)
    )


def assert_inert(page: Rendered, allowed_links: set[str]) -> None:
    """Only what the report writes itself: one h1, two h2, one list, two tables, one
    emphasis (its last line), code spans; links only to ``allowed_links``."""
    assert not {"script", "img", "h3", "h4", "h5", "h6", "ol", "hr", "pre", "strong", "del"} & set(
        page.tags
    ), page.tags
    counts = {tag: page.tags.count(tag) for tag in ("h1", "h2", "ul", "table", "em")}
    assert counts == {"h1": 1, "h2": 2, "ul": 1, "table": 2, "em": 1}, counts
    assert set(page.hrefs) <= allowed_links, page.hrefs


def test_a_report_of_hostile_attacker_posts_renders_inert(rt, client, actors, platform, workers):
    connect(rt, platform, "acme")
    lead = actors.person("sam", "security")
    since = datetime.now(UTC)
    for text in HOSTILE_POSTS:
        sandbox.post_direct(platform, "acme", text)
    workers()
    takedown = start(client, lead, since, accounts=["acme"]).get_json()
    wait_done(client, lead, takedown["id"])
    answer = client.get(
        f"/api/v1/takedowns/{takedown['id']}/report?format=markdown", headers=lead.headers
    )
    page = render(answer.get_data(as_text=True))
    loopback_links = {
        i["link"]
        for i in client.get(
            f"/api/v1/takedowns/{takedown['id']}/report", headers=lead.headers
        ).get_json()["items"]
    }
    assert_inert(page, loopback_links)
    assert {len(row) for row in page.rows} == {4, 6}  # the timeline's and the posts' columns
    posts = [row for row in page.rows if len(row) == 6][1:]  # the header row first
    assert len(posts) == len(HOSTILE_POSTS)
    shown = {row[5] for row in posts}
    assert shown == {" ".join(text.split()) for text in HOSTILE_POSTS}  # exactly as posted


@pytest.fixture
def forged(rt):
    """A takedown whose platform answered with hostile ids, URLs and error messages."""
    account_id = make_account(rt, "acme")
    rows = [
        ("1](https://evil.example/x) [", "javascript:alert(1)", "<b>HTTP 500</b> ![x](y)"),
        ("2", "https://social.example/@acme/2", ""),
        ("3", "http://evil.example/@acme/3", "| not | a | cell |"),
        ("4", "http://127.0.0.1:8765/@acme/4", ""),
        ("5", "https://user:pw@social.example/5", ""),
        ("6", "https://social.example/6\n<script>", ""),
    ]
    with rt.store.transaction() as db:
        lead = User(username="sam", password_hash="x", roles="security")
        db.add(lead)
        db.flush()
        takedown = Takedown(
            created_by_id=lead.id, account_ids=[account_id], since=datetime(2026, 1, 1, tzinfo=UTC)
        )
        db.add(takedown)
        db.flush()
        for remote_id, url, reason in rows:
            evidence = {"text": "t", "created_at": "not a date | <b>", "url": url}
            db.add(
                TakedownItem(
                    takedown_id=takedown.id,
                    account_id=account_id,
                    remote_id=remote_id,
                    origin="unauthorized",
                    evidence=evidence,
                    outcome="failed" if reason else "deleted",
                    reason=reason,
                )
            )
        return takedown.id


SAFE = {"https://social.example/@acme/2", "http://127.0.0.1:8765/@acme/4"}


def test_only_safe_urls_become_links_in_the_json_and_markdown_report(rt, forged) -> None:
    with rt.store.session() as db:
        report = incident_report(db, forged)
    assert {i["link"] for i in report["items"]} == SAFE | {None}
    page = render(report_markdown(report))
    assert_inert(page, SAFE)
    assert set(page.hrefs) == SAFE
    assert {len(row) for row in page.rows} == {4, 6}
    assert "javascript:alert(1)" in {c.strip() for row in page.rows for c in row[1].split(" ")}


def test_only_safe_urls_become_links_on_the_report_page(rt, client, web, actors, forged) -> None:
    web.login(actors.create("sami", "security"))
    html = client.get(f"/security/takedowns/{forged}/report").get_data(as_text=True)
    hrefs = {h for h in Rendered(html).hrefs if "://" in h or h.startswith("javascript")}
    assert hrefs == SAFE


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("https://social.example/@acme/1", True),
        ("http://127.0.0.1:8765/@acme/1", True),
        ("http://[::1]:8765/x", True),
        ("http://localhost:8765/x", True),
        ("http://social.example/x", False),
        ("javascript:alert(1)", False),
        ("data:text/html,<script>", False),
        ("https://user:pw@social.example/", False),
        ("https://social.example/\nx", False),
        ("https:///nohost", False),
        ("//social.example/x", False),
        (None, False),
    ],
)
def test_shown_link(url, shown: bool) -> None:
    assert (safe_output.shown_link(url) is not None) == shown


def test_a_published_post_links_to_its_url_only_when_safe(rt, client, web, actors) -> None:
    from postgate.store.models import Post

    account_id = make_account(rt, "acme")
    ana = actors.create("ana", "author")
    with rt.store.transaction() as db:
        author = db.scalar(select(User.id).where(User.username == "ana"))
        ids = []
        for url in ("javascript:alert(document.cookie)", "https://social.example/@acme/9"):
            post = Post(
                account_id=account_id,
                author_id=author,
                text="hello",
                content_hash="0" * 64,
                status="published",
                remote_id="9",
                remote_url=url,
                published_at=datetime.now(UTC),
            )
            db.add(post)
            db.flush()
            ids.append(post.id)
    web.login(ana)
    hostile = Rendered(client.get(f"/posts/{ids[0]}").get_data(as_text=True))
    assert not [h for h in hostile.hrefs if h.startswith("javascript")]
    fine = Rendered(client.get(f"/posts/{ids[1]}").get_data(as_text=True))
    assert "https://social.example/@acme/9" in fine.hrefs


def test_post_text_is_escaped_on_every_page_that_shows_it(rt, client, web, actors) -> None:
    """An insider's draft is hostile too: neither the reviewer's pages nor the author's run
    it, and its link is no link."""
    make_account(rt, "acme")
    ana = actors.person("ana", "author")
    text = "<script>alert(1)</script><img src=x onerror=alert(2)> [x](javascript:alert(3))"
    made = client.post("/api/v1/posts", json={"account": "acme", "text": text}, headers=ana.headers)
    post_id = made.get_json()["id"]
    rita = actors.create("rita", "reviewer")
    for person, paths in ((rita, [f"/review/{post_id}", "/review"]), (ana, [f"/posts/{post_id}"])):
        browser = web.another()
        browser.login(person)
        for path in paths:
            html = browser.client.get(path).get_data(as_text=True)
            page = Rendered(html)
            assert "&lt;script&gt;alert(1)" in html, path  # shown, as text
            assert "img" not in page.tags and "<script>alert" not in html, path
            assert not [h for h in page.hrefs if h.startswith("javascript")], path
