"""The team calendar: every account at once with a colour each, a filter, "+N more" on busy
days, posting windows marked, and moving a post by dragging it (an edit: back to review)."""

from __future__ import annotations

import html
import re
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import event, insert, select

from gateway.web.calendar_team import display_zone, lanes
from postgate.services.accounts import list_accounts
from postgate.store.models import Account, AuditEntry, Freeze, Post, User
from tests.helpers import approve_post, make_account

pytestmark = pytest.mark.store_neutral

MONDAY = datetime(2030, 12, 23, tzinfo=UTC)


def add_rows(
    rt: Any,
    account: str,
    author: str,
    first: datetime,
    count: int,
    *,
    step: timedelta = timedelta(minutes=20),
    status: str = "pending_review",
) -> None:
    """``count`` posts on ``account`` scheduled ``step`` apart from ``first``."""
    with rt.store.transaction() as db:
        account_id = db.scalar(select(Account.id).where(Account.name == account))
        author_id = db.scalar(select(User.id).where(User.username == author))
        rows = [
            {
                "account_id": account_id,
                "author_id": author_id,
                "text": f"{account} post {i}",
                "status": status,
                "content_hash": f"{i:064x}",
                "links": [],
                "media": [],
                "findings": [],
                "scheduled_at": first + i * step,
                "published_at": first + i * step if status == "published" else None,
            }
            for i in range(count)
        ]
        db.execute(insert(Post), rows)


def entries(page: str) -> list[str]:
    return re.findall(r'<li class="cal-post cal-entry[^"]*"', page)


def post_ids(page: str) -> set[int]:
    return {int(i) for i in re.findall(r'<a href="/posts/(\d+)">#', page)}


def test_all_accounts_show_at_once_each_in_its_colour_and_the_filter_keeps_some(
    client, web, actors, rt
) -> None:
    ids = {name: make_account(rt, name, timezone="Europe/Paris") for name in ("acme", "beta")}
    actors.create("ana", "author")
    add_rows(rt, "acme", "ana", MONDAY + timedelta(hours=9), 2, step=timedelta(hours=1))
    add_rows(rt, "beta", "ana", MONDAY + timedelta(hours=10), 3, step=timedelta(hours=1))
    web.login(actors.create("rita", "reviewer"))
    both = client.get("/calendar?start=2030-12-23").get_data(as_text=True)
    assert len(entries(both)) == 5
    colour = {name: f"lane-c{ids[name] % 12}" for name in ids}
    assert colour["acme"] != colour["beta"]
    assert both.count(f"cal-entry {colour['beta']}") == 3
    only_beta = client.get("/calendar?start=2030-12-23&account=BETA").get_data(as_text=True)
    assert len(entries(only_beta)) == 3 and "acme post" not in only_beta
    assert only_beta.count(f"cal-entry {colour['beta']}") == 3  # the same colour when filtered
    assert 'value="beta" checked' in only_beta and 'value="acme" checked' not in only_beta
    several = client.get("/calendar?start=2030-12-23&account=acme&account=beta&account=zzz")
    assert len(entries(several.get_data(as_text=True))) == 5
    assert "No account named zzz" in several.get_data(as_text=True)
    # the links to other periods keep the filter
    assert "account=beta" in only_beta.split('class="cal-nav"', 1)[1].split("</nav>", 1)[0]


def test_a_busy_month_shows_three_posts_a_day_and_more_opens_the_day(
    client, web, actors, rt
) -> None:
    make_account(rt, "acme")
    make_account(rt, "beta")
    actors.create("ana", "author")
    add_rows(rt, "acme", "ana", MONDAY + timedelta(hours=6), 20, step=timedelta(minutes=30))
    add_rows(rt, "beta", "ana", MONDAY + timedelta(hours=8), 10, step=timedelta(minutes=50))
    web.login(actors.create("rita", "reviewer"))
    month = client.get("/calendar?view=month&start=2030-12-01").get_data(as_text=True)
    assert len(entries(month)) == 3  # 30 posts that day, 3 shown
    more = re.search(r'<a class="cal-more" href="([^"]+)">\+27 more</a>', month)
    assert more and "30 posts" in month
    day = client.get(more.group(1).replace("&amp;", "&")).get_data(as_text=True)
    assert len(entries(day)) == 30 and "Monday, December 23, 2030" in day
    week = client.get("/calendar?start=2030-12-23").get_data(as_text=True)
    assert 0 < len(entries(week)) < 30  # at most two per hour, and "+N more" for the rest
    assert re.search(r'class="cal-more" href="[^"]*view=day[^"]*#h-\d+">\+\d+ more', week)


def test_the_month_in_french_says_how_many_more(client, web, actors, rt) -> None:
    make_account(rt, "acme")
    actors.create("ana", "author")
    add_rows(rt, "acme", "ana", MONDAY + timedelta(hours=8), 7)
    web.login(actors.create("rita", "reviewer"), lang="fr")
    month = client.get("/calendar?view=month&start=2030-12-01").get_data(as_text=True)
    assert "+4 autres" in month and "7 publications" in month
    assert "Déplacer cette publication" in month  # the move dialog, in French too


def test_windows_and_blackouts_are_marked_per_account_and_posts_outside_them(
    client, web, actors, rt
) -> None:
    make_account(rt, "acme", timezone="Europe/Paris", windows=["mon-fri 09:00-12:00"])
    make_account(rt, "beta", timezone="Europe/Paris")
    with rt.store.transaction() as db:
        db.scalar(select(Account).where(Account.name == "beta")).blackout_dates = ["2030-12-24"]
    actors.create("ana", "author")
    add_rows(rt, "acme", "ana", MONDAY + timedelta(hours=7), 1)  # 08:00 in Paris: too early
    add_rows(rt, "acme", "ana", MONDAY + timedelta(hours=9), 1)  # 10:00 in Paris
    web.login(actors.create("rita", "reviewer"))
    acme = client.get("/calendar?start=2030-12-23&account=acme").get_data(as_text=True)
    assert acme.count("tag-outside") == 1 + 1  # the early post, and the legend
    slots = re.findall(
        r'<td class="slot([^"]*)" data-drop-day="2030-12-23" data-drop-hour="(\d+)"', acme
    )
    closed = {int(hour) for cls, hour in slots if "closed" in cls}
    assert closed == set(range(24)) - {9, 10, 11}
    assert "mon-fri 09:00-12:00 (Europe/Paris)" in acme
    both = client.get("/calendar?start=2030-12-23").get_data(as_text=True)
    both_slots = re.findall(r'<td class="slot([^"]*)" data-drop-day="2030-12-23"', both)
    assert not any("closed" in cls for cls in both_slots)  # beta may post any time that day
    assert "Blackout date · beta" in both and "No posting window · acme" in both  # sat, sun
    tuesday = re.findall(
        r'<td class="slot([^"]*)" data-drop-day="2030-12-24" data-drop-hour="8"', both
    )
    assert "closed" in tuesday[0] and "blackout" in tuesday[0]  # acme at 08:00, beta all day


def test_frozen_accounts_are_shown_frozen(client, web, actors, rt) -> None:
    acme = make_account(rt, "acme")
    make_account(rt, "beta")
    with rt.store.transaction() as db:
        db.add(Freeze(account_id=acme, reason="drill"))
    web.login(actors.create("rita", "reviewer"))
    page = client.get("/calendar").get_data(as_text=True)
    filters = page.split("cal-accounts", 1)[1].split("</fieldset>", 1)[0]
    assert re.search(r'value="acme">.*?acme <span class="tag tag-freeze">Frozen', filters, re.S)
    assert not re.search(r'value="beta">.*?beta <span class="tag tag-freeze">', filters, re.S)


def test_only_the_authors_editable_posts_can_be_dragged(client, web, actors, rt) -> None:
    make_account(rt, "acme")
    ana = actors.create("ana", "author")
    actors.create("bob", "author")
    add_rows(rt, "acme", "ana", MONDAY + timedelta(hours=9), 2)
    add_rows(rt, "acme", "ana", MONDAY + timedelta(hours=12), 1, status="published")
    add_rows(rt, "acme", "ana", MONDAY + timedelta(hours=13), 1, status="publishing")
    add_rows(rt, "acme", "bob", MONDAY + timedelta(hours=14), 1)
    web.login(actors.create("dana", "author", "reviewer"))  # sees every post, owns none
    page = client.get("/calendar?start=2030-12-23").get_data(as_text=True)
    assert len(entries(page)) == 5 and 'draggable="true"' not in page
    own = web.another()
    own.login(ana)
    page = own.client.get("/calendar?start=2030-12-23").get_data(as_text=True)
    assert len(entries(page)) == 4  # a plain author sees only their own posts
    assert len(re.findall(r'draggable="true" data-post="(\d+)"', page)) == 2  # not once out
    assert page.count('class="cal-reschedule"') == 2  # the keyboard's, phone's, no-JS way


def _compose(web: Any, when: str = "2030-12-24T10:00", account: str = "acme") -> int:
    made = web.submit("/compose", accounts=account, text="Soldes d'hiver", scheduled_at=when)
    assert made.status_code == 302, made.get_data(as_text=True)
    return int(made.headers["Location"].rsplit("/", 1)[1])


def _move(web: Any, body: Any, **headers: str) -> Any:
    token = web.csrf("/calendar")
    sent = {"X-CSRFToken": token, "Accept": "application/json", **headers}
    return web.client.post("/calendar/move", json=body, headers=sent)


def test_moving_a_post_is_an_edit_back_to_review_with_approvals_voided(
    client, web, actors, rt
) -> None:
    make_account(rt, "acme", timezone="Europe/Paris")
    web.login(actors.create("ana", "author"))
    post_id = _compose(web)
    rita = actors.person("rita", "reviewer")
    assert approve_post(client, rita, post_id, otp=rita.code()).get_json()["status"] == "scheduled"
    moved = _move(
        web, {"post_id": post_id, "scheduled_at": "2030-12-26T09:30", "timezone": "Europe/Paris"}
    )
    assert moved.status_code == 200, moved.get_json()
    answer = moved.get_json()
    assert answer["moved"] is True and answer["post"]["status"] == "pending_review"
    assert answer["post"]["approvals"] == [] and "back in review" in answer["display"]
    assert answer["post"]["scheduled_at"].startswith("2030-12-26T08:30")  # 09:30 in Paris
    with rt.store.session() as db:
        audited = db.scalars(select(AuditEntry).where(AuditEntry.action == "post:edit")).all()
        assert [e.target for e in audited] == [f"post:{post_id}"]
        assert audited[0].actor == "ana" and audited[0].details["approvals_voided"] == 1
    page = client.get("/calendar?start=2030-12-26").get_data(as_text=True)
    assert "back in review" in page  # the flash the page shows after the drop reloads it
    same = _move(
        web, {"post_id": post_id, "scheduled_at": "2030-12-26T09:30", "timezone": "Europe/Paris"}
    )
    assert same.get_json()["moved"] is False


def test_move_refusals_are_json_naming_the_field(client, web, actors, rt) -> None:
    make_account(rt, "acme")
    web.login(actors.create("ana", "author"))
    post_id = _compose(web)
    good = {"post_id": post_id, "scheduled_at": "2030-12-27T10:00", "timezone": "UTC"}
    cases = [
        ({**good, "post_id": "7"}, 400, "post_id"),
        ({**good, "post_id": True}, 400, "post_id"),
        ({**good, "post_id": 1.5}, 400, "post_id"),
        ({**good, "post_id": 2**63}, 400, "post_id"),
        ([1, 2], 400, "body"),
        ({**good, "scheduled_at": "tomorrow"}, 422, "scheduled_at"),
        ({**good, "scheduled_at": "2020-01-01T10:00"}, 422, "scheduled_at"),
        (
            {**good, "scheduled_at": "9999-12-31T23:59", "timezone": "Pacific/Kiritimati"},
            422,
            "scheduled_at",
        ),
        ({**good, "timezone": "Mars/Olympus"}, 422, "timezone"),
        ({**good, "timezone": None}, 422, "timezone"),
        ({**good, "post_id": 999_999}, 404, "id"),
    ]
    for body, status, named in cases:
        answer = _move(web, body)
        assert answer.status_code == status, (body, answer.get_json())
        assert answer.get_json()["field"] == named, body
        assert answer.get_json()["display"]
    no_token = web.client.post("/calendar/move", json=good, headers={"Accept": "application/json"})
    assert no_token.status_code == 400 and no_token.get_json()["field"] == "csrf_token"
    bad_token = _move(web, good, **{"X-CSRFToken": "forged"})
    assert bad_token.status_code == 400 and bad_token.get_json()["field"] == "csrf_token"
    with rt.store.session() as db:
        post = db.get(Post, post_id)
        assert post.revision == 1 and post.scheduled_at.day == 24  # nothing moved


def test_only_the_author_moves_and_only_while_it_may_be_edited(client, web, actors, rt) -> None:
    make_account(rt, "acme")
    web.login(actors.create("ana", "author"))
    post_id = _compose(web)
    body = {"post_id": post_id, "scheduled_at": "2030-12-27T10:00", "timezone": "UTC"}
    reviewer = web.another()
    reviewer.login(actors.create("rita", "reviewer", "security"))
    refused = _move(reviewer, body)
    assert refused.status_code == 403 and refused.get_json()["error"] == "forbidden"
    with rt.store.session() as db:
        trace = db.scalars(select(AuditEntry).where(AuditEntry.action == "access:forbidden"))
        assert [(e.actor, e.target) for e in trace] == [("rita", "POST /calendar/move")]
    colleague = web.another()
    colleague.login(actors.create("bob", "author", "reviewer"))
    assert _move(colleague, body).status_code == 403  # sees it, but it is not his
    stranger = web.another()
    stranger.login(actors.create("carl", "author"))
    assert _move(stranger, body).status_code == 404  # a plain author does not see it
    signed_out = web.another()
    nobody = signed_out.client.post("/calendar/move", json=body)
    assert nobody.status_code == 401 and nobody.get_json()["field"] == "session"
    with rt.store.transaction() as db:
        db.get(Post, post_id).status = "published"
    published = _move(web, body)
    assert published.status_code == 409 and published.get_json()["field"] == "status"


def test_the_edit_page_takes_the_time_the_calendar_proposes(client, web, actors, rt) -> None:
    make_account(rt, "acme", timezone="Europe/Paris")
    web.login(actors.create("ana", "author"))
    post_id = _compose(web)
    page = client.get(f"/posts/{post_id}/edit?scheduled_at=2030-12-26T09:00&tz=UTC")
    assert 'value="2030-12-26T09:00"' in page.get_data(as_text=True)  # on the viewer's (UTC)
    paris = client.get(f"/posts/{post_id}/edit?scheduled_at=2030-12-26T09:00&tz=Europe/Paris")
    assert 'value="2030-12-26T08:00"' in paris.get_data(as_text=True)  # 09:00 in Paris
    unchanged = client.get(f"/posts/{post_id}/edit?scheduled_at=soon&tz=Nowhere/City")
    assert 'value="2030-12-24T10:00"' in unchanged.get_data(as_text=True)
    day = client.get("/calendar?view=day&start=2030-12-24").get_data(as_text=True)
    assert f'action="/calendar/move/{post_id}" class="cal-move-form"' in day  # without JS


def _move_link(page: str, post_id: int) -> str:
    found = re.search(rf'<a class="cal-reschedule" href="(/calendar/move/{post_id}\?[^"]+)"', page)
    assert found, f"no Move link for post {post_id}"
    return html.unescape(found.group(1))


def _move_form(web: Any, post_id: int, **fields: str) -> Any:
    base = {"timezone": "Europe/Paris", "back": "/calendar?view=month&start=2030-12-01"}
    return web.submit(f"/calendar/move/{post_id}", page="/calendar", **{**base, **fields})


def test_without_javascript_the_move_link_opens_a_form_that_moves_back_to_review(
    client, web, actors, rt
) -> None:
    make_account(rt, "acme", timezone="Europe/Paris")
    web.login(actors.create("ana", "author"))
    post_id = _compose(web)  # 10:00 UTC, 11:00 in Paris
    rita = actors.person("rita", "reviewer")
    assert approve_post(client, rita, post_id, otp=rita.code()).get_json()["status"] == "scheduled"
    calendar = client.get("/calendar?view=month&start=2030-12-01&account=acme")
    link = _move_link(calendar.get_data(as_text=True), post_id)
    assert "timezone=Europe/Paris" in link and "back=/calendar?view%3Dmonth" in link
    form = client.get(link)
    page = form.get_data(as_text=True)
    assert form.status_code == 200 and "Move post #" in page
    assert 'type="datetime-local"' in page and 'value="2030-12-24T11:00"' in page  # Paris
    assert "it goes back to review" in page and "On the clock of Europe/Paris" in page
    proposed = client.get(f"/calendar/move/{post_id}?timezone=UTC&scheduled_at=2030-12-25T08:15")
    assert 'value="2030-12-25T08:15"' in proposed.get_data(as_text=True)  # the day view's field
    moved = _move_form(web, post_id, scheduled_at="2030-12-26T09:30")
    assert moved.status_code == 302, moved.get_data(as_text=True)
    assert moved.headers["Location"] == (
        f"/calendar?view=month&start=2030-12-26#post-{post_id}"  # the calendar it came from
    )
    with rt.store.session() as db:
        post = db.get(Post, post_id)
        assert post.scheduled_at.replace(tzinfo=UTC) == datetime(2030, 12, 26, 8, 30, tzinfo=UTC)
        assert post.status == "pending_review" and post.revision == 2
        audited = db.scalars(select(AuditEntry).where(AuditEntry.action == "post:edit")).all()
        assert [(e.actor, e.target) for e in audited] == [("ana", f"post:{post_id}")]
        assert audited[0].details["approvals_voided"] == 1
    shown = client.get(moved.headers["Location"]).get_data(as_text=True)
    assert "back in review" in shown and f'id="post-{post_id}"' in shown
    elsewhere = _move_form(web, post_id, scheduled_at="2030-12-27T09:30", back="https://evil.test/")
    assert elsewhere.headers["Location"].startswith("/calendar?view=week&start=2030-12-27")
    refused = _move_form(web, post_id, scheduled_at="", back="javascript:alert(1)")
    assert refused.status_code == 422 and 'href="javascript:' not in refused.get_data(as_text=True)


def test_the_move_form_names_the_field_of_a_bad_time(client, web, actors, rt) -> None:
    make_account(rt, "acme", timezone="Europe/Paris")
    web.login(actors.create("ana", "author"), lang="fr")
    post_id = _compose(web)
    cases = [
        ({"scheduled_at": "2030-13-45T10:00"}, 422, "scheduled_at", "pas une date/heure valide"),
        ({"scheduled_at": ""}, 422, "scheduled_at", "Indiquez la nouvelle date"),
        ({"scheduled_at": "2020-01-01T10:00"}, 422, "scheduled_at", "passé"),
        ({"scheduled_at": "9999-12-31T23:59"}, 422, "scheduled_at", "2999-12-31"),
        ({"scheduled_at": "2030-12-27T10:00", "timezone": "Mars/Olympus"}, 422, "timezone", ""),
    ]
    for fields, status, named, said in cases:
        answer = _move_form(web, post_id, **fields)
        page = answer.get_data(as_text=True)
        assert answer.status_code == status, (fields, page)
        if named == "scheduled_at":
            assert 'aria-invalid="true"' in page and 'id="scheduled_at-error"' in page, fields
            error = page.split('id="scheduled_at-error">', 1)[1].split("</p>", 1)[0]
            assert said in html.unescape(error), (fields, error)
        else:
            assert 'class="flash flash-error" role="alert">' in page and "fuseau" in page
    with rt.store.session() as db:
        post = db.get(Post, post_id)
        assert post.revision == 1 and post.scheduled_at.day == 24  # nothing moved


def test_the_move_page_refuses_who_may_not_move_the_post(client, web, actors, rt) -> None:
    make_account(rt, "acme", timezone="Europe/Paris")
    web.login(actors.create("ana", "author"))
    post_id = _compose(web)
    path = f"/calendar/move/{post_id}"
    reviewer = web.another()
    reviewer.login(actors.create("rita", "reviewer", "security"))
    assert reviewer.client.get(path).status_code == 403
    assert _move_form(reviewer, post_id, scheduled_at="2030-12-27T10:00").status_code == 403
    with rt.store.session() as db:
        trace = db.scalars(select(AuditEntry).where(AuditEntry.action == "access:forbidden"))
        assert {(e.actor, e.target) for e in trace} == {
            ("rita", f"GET {path}"),
            ("rita", f"POST {path}"),
        }
    colleague = web.another()
    colleague.login(actors.create("bob", "author", "reviewer"))
    assert colleague.client.get(path).status_code == 403  # sees it, but it is not his
    assert _move_form(colleague, post_id, scheduled_at="2030-12-27T10:00").status_code == 403
    stranger = web.another()
    stranger.login(actors.create("carl", "author"))
    assert stranger.client.get(path).status_code == 404  # a plain author does not see it
    assert _move_form(stranger, post_id, scheduled_at="2030-12-27T10:00").status_code == 404
    signed_out = web.another()
    assert "/login" in signed_out.client.get(path).headers["Location"]
    no_token = client.post(path, data={"scheduled_at": "2030-12-27T10:00", "timezone": "UTC"})
    assert no_token.status_code == 400 and "CSRF" in no_token.get_data(as_text=True)
    with rt.store.transaction() as db:
        db.get(Post, post_id).status = "published"
    assert client.get(path).status_code == 409
    assert _move_form(web, post_id, scheduled_at="2030-12-27T10:00").status_code == 409
    with rt.store.session() as db:
        post = db.get(Post, post_id)
        assert post.revision == 1 and post.scheduled_at.day == 24  # nothing moved


def test_with_5000_posts_the_calendar_reads_only_the_days_it_shows(client, web, actors, rt) -> None:
    for name in ("acme", "beta", "gamma"):
        make_account(rt, name)
    actors.create("ana", "author")
    start = datetime(2030, 1, 1, tzinfo=UTC)
    for name in ("acme", "beta"):
        add_rows(rt, name, "ana", start, 2000, step=timedelta(hours=4, minutes=23))
    add_rows(rt, "gamma", "ana", start, 1000, step=timedelta(hours=8), status="published")
    web.login(actors.create("rita", "reviewer"))
    loaded: list[int] = []

    def count(target: Post, _context: Any) -> None:
        loaded.append(target.id)

    event.listen(Post, "load", count)
    try:
        began = time.perf_counter()
        month = client.get("/calendar?view=month&start=2030-03-01")
        elapsed = time.perf_counter() - began
    finally:
        event.remove(Post, "load", count)
    assert month.status_code == 200
    first, end = datetime(2030, 2, 25, tzinfo=UTC), datetime(2030, 4, 1, tzinfo=UTC)
    with rt.store.session() as db:
        in_range = db.scalars(
            select(Post.id).where(Post.scheduled_at >= first, Post.scheduled_at < end)
        ).all()
    assert 300 < len(in_range) < 800
    assert sorted(loaded) == sorted(in_range)  # nothing outside the five weeks shown
    assert elapsed < 3, elapsed


def test_accounts_on_different_clocks_are_shown_on_one(client, web, actors, rt) -> None:
    make_account(rt, "acme", timezone="Europe/Paris")
    make_account(rt, "nyc", timezone="America/New_York")
    actors.create("ana", "author")
    add_rows(rt, "nyc", "ana", MONDAY + timedelta(hours=14), 1)  # 09:00 in New York
    web.login(actors.create("rita", "reviewer"))
    both = client.get("/calendar?start=2030-12-23").get_data(as_text=True)
    assert "Times on the clock of UTC." in both and '<span class="cal-time">14:00</span>' in both
    nyc = client.get("/calendar?start=2030-12-23&account=nyc").get_data(as_text=True)
    assert "America/New_York" in nyc and '<span class="cal-time">09:00</span>' in nyc
    with rt.store.session() as db:
        shown = lanes(rt, db, list_accounts(db))
        assert display_zone(shown, "Asia/Tokyo") == "Asia/Tokyo"
        assert display_zone(shown[:1], "Asia/Tokyo") == shown[0].account.timezone
