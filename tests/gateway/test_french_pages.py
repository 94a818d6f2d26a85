"""Every main page, seen in French by each role, holds no English word.

The pages are rendered with real data (an account with French posting windows, posts in
review, blocked, failed on the platform and taken down, the rules imported from the files),
then their visible text, with the labels a screen reader speaks (``aria-label``, ``title``,
``placeholder``, ``alt``), is searched for words that exist only in English. What people
typed (post texts, names, code, the rules as TOML) is left out: it is shown as written.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest

from postgate.states import PostStatus
from postgate.store.models import Post
from tests.helpers import make_account

pytestmark = pytest.mark.store_neutral

# Words that never occur in French text: one of them on a French page is English left over.
ENGLISH = frozenset(
    """
    the and with post posts review reviewer reviewers approve approved approval blocked
    pending scheduled published publishing failed cancelled rejected freeze frozen takedown
    takedowns settings save delete edit edited account accounts user users password sign
    signed findings finding blocking taken waiting any files config imported by of to for
    is are not yes new this that your my week month today next previous search filter
    status reason author security queue calendar overview log when who what where which
    rules windows window anytime none should must will would could cannot can back send
    sent show hide more less than after before since until every each all only also
    """.split()
)
# Left out: what people typed, code, and elements that show a file as it is; also what a
# page marks as a record kept as stored (``translate="no"``: the audit log's details).
SKIPPED = {"code", "pre", "textarea", "script", "style", "kbd", "samp"}
SPOKEN = ("aria-label", "title", "placeholder", "alt")


class _Visible(HTMLParser):
    def __init__(self, typed: set[str]) -> None:
        super().__init__(convert_charrefs=True)
        self.depth = 0
        self.closing: list[str] = []
        self.typed = typed
        self.texts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in SKIPPED or ("translate", "no") in attrs:
            self.depth += 1
            self.closing.append(tag)
        for name, value in attrs:
            if name in SPOKEN and value and not self.depth:
                self.texts.append(value)

    def handle_endtag(self, tag: str) -> None:
        if self.closing and tag == self.closing[-1]:
            self.depth -= 1
            self.closing.pop()

    def handle_data(self, data: str) -> None:
        if not self.depth:
            self.texts.append(data)

    def english(self) -> list[str]:
        text = " ".join(self.texts)
        for typed in self.typed:  # as a whole: "ada" is a name, not the end of "Canada"
            text = re.sub(rf"(?<!\w){re.escape(typed)}(?!\w)", " ", text)
        words = re.findall(r"(?<![\w/._:-])[A-Za-z]+(?![\w/._:-])", text)
        return sorted({w for w in words if w.lower() in ENGLISH})


TYPED = {
    "Bonjour à tous, la nouvelle collection arrive !",
    "Quelle arnaque, ce prix !",
    "Notre compte a été piraté, ne cliquez sur aucun lien.",
    "mastodon: HTTP 422: Validation failed: Text character limit of 500 exceeded",
}


@pytest.fixture
def team(web, actors, rt):
    make_account(rt, "acme", timezone="Europe/Paris", windows=["lun-ven 08:00-20:00"])
    people = {
        "author": actors.create("ana", "author"),
        "reviewer": actors.create("rex", "reviewer"),
        "security": actors.create("sam", "security"),
        "admin": actors.create("ada", "admin"),
    }
    web.login(people["author"], lang="fr")
    texts = sorted(TYPED - {next(t for t in TYPED if t.startswith("mastodon"))})
    for text in texts:
        web.submit("/compose", accounts="acme", text=text, scheduled_at="2030-03-04T10:00")
    web.logout()
    with rt.store.transaction() as db:
        posts = db.query(Post).order_by(Post.id).all()
        failed, taken = posts[0], posts[-1]
        failed.status = PostStatus.FAILED
        failed.reason = f"gave up after 3 attempts: {sorted(TYPED)[-1]}"
        taken.status, taken.reason = PostStatus.DELETED, "taken down (takedown #1)"
    return people


PAGES = {
    "author": [
        "/posts",
        "/compose",
        "/calendar",
        "/me",
        "/me/2fa",
        "/me/password",
        "/me/notifications",
        "/notifications",
        "/posts/1",
        "/posts/2/edit",
    ],
    "reviewer": ["/review", "/review/2", "/posts/all", "/calendar", "/me", "/posts/1"],
    "security": [
        "/security",
        "/security/audit",
        "/security/takedowns",
        "/security/alerts",
        "/security/rules",
        "/security/users",
        "/posts/all",
    ],
    "admin": [
        "/admin",
        "/admin/accounts",
        "/admin/accounts/acme",
        "/admin/rules",
        "/admin/notifications",
        "/security/users",
        "/me",
    ],
}


@pytest.mark.parametrize("role", sorted(PAGES))
def test_each_main_page_reads_in_french_for_each_role(client, web, team, role: str) -> None:
    web.login(team[role], lang="fr")
    found = {}
    for path in PAGES[role]:
        answer = client.get(path)
        assert answer.status_code == 200, (path, answer.status_code)
        parser = _Visible(TYPED | {"acme", "ana", "rex", "sam", "ada"})
        parser.feed(answer.get_data(as_text=True))
        if words := parser.english():
            found[path] = words
    assert not found, f"English on the French pages of the {role}: {found}"


def test_the_check_finds_english_when_a_page_is_english(client, web, team) -> None:
    """The word list does catch English: the same page in English is full of it."""
    web.login(team["author"], lang="en")
    parser = _Visible(set())
    parser.feed(client.get("/posts").get_data(as_text=True))
    assert {"posts", "Post", "Account"} & set(parser.english())


def test_the_sign_in_page_reads_in_french(client) -> None:
    client.set_cookie("postgate_lang", "fr")
    parser = _Visible(set())
    parser.feed(client.get("/login").get_data(as_text=True))
    assert not parser.english(), parser.english()
