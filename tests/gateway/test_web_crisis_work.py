"""Crisis work without hunting: statement templates on the compose page during a freeze, the
held statement marked from the console, times on each viewer's clock, and a late approval
that asks what to do."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from gateway import create_app
from postgate.content import content_hash
from postgate.services import posts
from postgate.store.models import AuditEntry, Freeze, Post, User
from tests.helpers import WebActions, error_next_to, make_account, shown_hash

pytestmark = pytest.mark.store_neutral

HELD = "Nous sommes désolés : notre compte a été piraté. Plus d'informations bientôt."


def freeze(rt, account_id: int | None = None) -> None:
    with rt.store.transaction() as db:
        db.add(Freeze(account_id=account_id, reason="hacked"))


def submit(rt, username: str, text: str, when: datetime | None = None) -> int:
    with rt.store.transaction() as db:
        user = db.scalar(select(User).where(User.username == username))
        return posts.submit(rt, db, user, "acme", text, when).id


def textarea(page: str) -> str:
    match = re.search(r'<textarea[^>]*name="text"[^>]*>\s*(.*?)</textarea>', page, re.S)
    assert match, "no text field"
    return match.group(1)


def test_compose_offers_the_statement_templates_only_during_a_freeze(rt, client, web, actors):
    make_account(rt, "acme")
    web.login(actors.create("alice", "author"))
    calm = client.get("/compose").get_data(as_text=True)
    assert "Use a template" not in calm
    asked = client.get("/compose?template=holding-statement-en").get_data(as_text=True)
    assert textarea(asked) == ""
    freeze(rt)
    page = client.get("/compose").get_data(as_text=True)
    assert "Use a template" in page and 'value="holding-statement-en"' in page
    filled = client.get("/compose?template=holding-statement-en").get_data(as_text=True)
    assert textarea(filled).startswith("We are aware of unauthorised posts")
    unknown = client.get("/compose?template=../postgate").get_data(as_text=True)
    assert textarea(unknown) == ""


def test_the_console_lists_the_held_statement_and_marks_it(rt, client, web, actors):
    account_id = make_account(rt, "acme")
    actors.create("alice", "author")
    freeze(rt, account_id)
    held = submit(rt, "alice", HELD)
    make_account(rt, "other")
    web.login(actors.create("sam", "security"))
    console = client.get("/security").get_data(as_text=True)
    assert f'id="held-{held}"' in console and "Mark as crisis statement" in console
    assert "notre compte a été piraté" in console
    marked = web.submit(f"/posts/{held}/crisis", page="/security", back="console")
    assert marked.status_code == 302 and marked.headers["Location"].endswith("/security#held")
    with rt.store.session() as db:
        post = db.get(Post, held)
        assert post.crisis_statement and post.status == "pending_review"
        entry = db.scalar(select(AuditEntry).where(AuditEntry.action == "post:crisis-statement"))
        assert entry.actor == "sam"
    assert f'id="held-{held}"' not in client.get("/security").get_data(as_text=True)


def test_a_reviewer_cannot_mark_from_the_console_form(rt, client, web, actors):
    account_id = make_account(rt, "acme")
    actors.create("alice", "author")
    freeze(rt, account_id)
    held = submit(rt, "alice", HELD)
    web.login(actors.create("rita", "reviewer"))
    assert web.submit(f"/posts/{held}/crisis", page="/me", back="console").status_code == 403


def test_times_show_on_each_viewers_clock(rt, client, web, actors):
    make_account(rt, "acme", timezone="UTC")
    actors.create("alice", "author")
    when = datetime(2031, 1, 15, 14, 0, tzinfo=UTC)
    post_id = submit(rt, "alice", "Soldes d'hiver : tout à -30 %.", when)
    web.login(actors.create("rita", "reviewer"))
    page = client.get(f"/posts/{post_id}").get_data(as_text=True)
    assert "2:00:00\u202fPM" in page or "2:00:00 PM" in page  # the organisation's: UTC
    changed = web.submit("/me/timezone", page="/me", timezone="America/New_York")
    assert changed.status_code == 302
    page = client.get(f"/posts/{post_id}").get_data(as_text=True)
    assert "9:00:00" in page and "America/New_York" in page
    assert f'datetime="{when.isoformat()}"' in page  # the exact moment, in UTC
    with rt.store.session() as db:
        entry = db.scalar(select(AuditEntry).where(AuditEntry.action == "user:timezone"))
        assert entry.actor == "rita" and entry.details["to"] == "America/New_York"


def test_a_bad_zone_is_refused_and_empty_means_the_organisations(rt, client, web, actors):
    rita = actors.create("rita", "reviewer")
    web.login(rita)
    web.submit("/me/timezone", page="/me", timezone="Mars/Olympus")
    page = client.get("/me").get_data(as_text=True)
    assert "unknown time zone" in page
    web.submit("/me/timezone", page="/me", timezone="Europe/Paris")
    web.submit("/me/timezone", page="/me", timezone="")
    with rt.store.session() as db:
        assert db.scalar(select(User.timezone).where(User.username == "rita")) is None


def test_the_organisations_zone_is_the_default(rt, actors):
    app = create_app({"TESTING": True}, settings=rt.settings.with_overrides(timezone="Asia/Tokyo"))
    web = WebActions(app.test_client())
    web.login(actors.create("sam", "security"))
    assert "Asia/Tokyo" in web.client.get("/security/audit").get_data(as_text=True)


def test_compose_and_edit_read_times_on_the_viewers_clock(rt, client, web, actors):
    make_account(rt, "acme", timezone="Europe/Paris")
    web.login(actors.create("alice", "author"))
    web.submit("/me/timezone", page="/me", timezone="America/New_York")
    page = client.get("/compose").get_data(as_text=True)
    assert "On your clock (America/New_York)" in page
    sent = web.submit(
        "/compose",
        accounts="acme",
        text="Ouverture du nouveau magasin samedi.",
        scheduled_at="2031-01-15T09:00",
    )
    assert sent.status_code == 302, sent.get_data(as_text=True)
    with rt.store.session() as db:
        post = db.scalar(select(Post))
        assert post.scheduled_at.replace(tzinfo=UTC) == datetime(2031, 1, 15, 14, 0, tzinfo=UTC)
        post_id = post.id
    edit = client.get(f"/posts/{post_id}/edit").get_data(as_text=True)
    assert 'value="2031-01-15T09:00"' in edit


def late_post(rt, actors) -> int:
    make_account(rt, "acme")
    actors.create("alice", "author")
    post_id = submit(rt, "alice", "Lancement ce matin.", datetime.now(UTC) + timedelta(hours=1))
    with rt.store.transaction() as db:
        post = db.get(Post, post_id)
        post.scheduled_at = datetime.now(UTC) - timedelta(minutes=20)
        post.content_hash = content_hash(
            post.account.name, post.text, post.scheduled_at, post.media or [], post.links
        )
    return post_id


def test_a_late_approval_on_the_page_asks_then_publishes_now(rt, client, web, actors):
    post_id = late_post(rt, actors)
    web.login(actors.create("rita", "reviewer"))
    page = client.get(f"/review/{post_id}").get_data(as_text=True)
    assert "Its scheduled time has passed" in page and "Pick a new time" in page
    seen = shown_hash(page)
    asked = web.submit(f"/review/{post_id}/approve", page=f"/review/{post_id}", content_hash=seen)
    assert asked.status_code == 409
    assert "scheduled time has passed" in error_next_to(asked.get_data(as_text=True), "late")
    done = web.submit(
        f"/review/{post_id}/approve", page=f"/review/{post_id}", content_hash=seen, late="now"
    )
    assert done.status_code == 302
    with rt.store.session() as db:
        assert db.get(Post, post_id).status == "scheduled"


def test_a_late_approval_on_the_page_with_a_new_time(rt, client, web, actors):
    post_id = late_post(rt, actors)
    web.login(actors.create("rita", "reviewer"))
    web.submit("/me/timezone", page="/me", timezone="Europe/Paris")
    seen = shown_hash(client.get(f"/review/{post_id}").get_data(as_text=True))
    missing = web.submit(
        f"/review/{post_id}/approve", page=f"/review/{post_id}", content_hash=seen, late="new"
    )
    assert missing.status_code == 422
    assert "new time" in error_next_to(missing.get_data(as_text=True), "new_time")
    done = web.submit(
        f"/review/{post_id}/approve",
        page=f"/review/{post_id}",
        content_hash=seen,
        late="new",
        new_time="2031-06-01T10:00",
    )
    assert done.status_code == 302
    with rt.store.session() as db:
        post = db.get(Post, post_id)
        assert post.status == "scheduled" and post.revision == 2
        assert post.scheduled_at.replace(tzinfo=UTC) == datetime(2031, 6, 1, 8, 0, tzinfo=UTC)


def test_a_new_person_chooses_their_zone_at_enrolment(rt, client, web, actors):
    admin = actors.person("adm", "admin")
    made = client.post(
        "/api/v1/users", json={"username": "rex", "roles": ["author"]}, headers=admin.headers
    )
    token = made.get_json()["enrolment"]["token"]
    client.set_cookie("postgate_lang", "en")
    page = client.get(f"/enrol/{token}").get_data(as_text=True)
    assert 'data-browser-zone="1"' in page and "timezone.js" in page
    chosen = "Lighthouse keeper moss 7 orbit"
    bad = web.submit(f"/enrol/{token}", password=chosen, repeat=chosen, timezone="Nowhere/Land")
    assert bad.status_code == 422
    assert "unknown time zone" in error_next_to(bad.get_data(as_text=True), "timezone")
    good = web.submit(f"/enrol/{token}", password=chosen, repeat=chosen, timezone="Europe/Paris")
    assert good.status_code == 200
    with rt.store.session() as db:
        assert db.scalar(select(User.timezone).where(User.username == "rex")) == "Europe/Paris"
