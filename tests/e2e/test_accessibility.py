"""axe-core on every page: a person holding every role follows every link from the home page
(one visit per kind of page), at desktop width in one test and laid out at a phone's
(390 x 844) in another (two tests, so each fits the suite's time limit and the two can run
side by side); then pages no link leads to (a refused login, a post sent empty, an enrolment
link and its authenticator step). No page may have a single violation, and every table
scrolls in a labelled region the keyboard reaches."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest

from tests.e2e.axe import assert_accessible, crawl, describe
from tests.e2e.conftest import login
from tests.helpers import Person

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
TEXTS = (
    "Nouvelle collection en boutique ! Questions : jo@example.org",  # flagged
    "Une arnaque ? Jamais chez nous.",  # blocked
    "Bonne semaine à toutes et à tous.",
)


def _api(stack, person: Person) -> httpx.Client:
    body = {"username": person.username, "password": person.password, "otp": person.code()}
    answer = httpx.post(f"{stack.url}/api/v1/session", json=body, timeout=10)
    assert answer.status_code == 201, answer.text
    token = answer.json()["token"]
    return httpx.Client(
        base_url=f"{stack.url}/api/v1", headers={"Authorization": f"Bearer {token}"}
    )


def _some_of_everything(stack, everyone: Person) -> None:
    """Posts in several states, a rejection, a takedown: so their pages exist."""
    alice = _api(stack, stack.people["alice"])
    later = (datetime.now(UTC) + timedelta(days=2)).isoformat()
    ids = []
    for text in TEXTS:
        answer = alice.post("/posts", json={"account": "acme", "text": text, "scheduled_at": later})
        assert answer.status_code == 201, answer.text
        ids.append(answer.json()["id"])
    lead = _api(stack, everyone)
    assert lead.post(f"/posts/{ids[2]}/reject", json={"reason": "Trop vague"}).status_code == 200
    since = (datetime.now(UTC) - timedelta(hours=1)).isoformat()
    body = {"accounts": ["acme"], "since": since}  # the session proved a code just now
    assert lead.post("/takedowns", json=body).status_code == 202


def _enrolment_link(stack) -> str:
    from postgate.services import enrolment_links
    from postgate.store.models import User

    stack.actors.create("nina", "author")
    with stack.rt.store.transaction() as db:
        nina = db.query(User).filter(User.username == "nina").one()
        issued = enrolment_links.issue(
            stack.rt, db, nina, enrolment_links.Purpose.NEW, actor="test"
        )
    return issued.token


def _everyone(stack) -> Person:
    """A person holding every role, and posts, a rejection and a takedown for their pages."""
    everyone = stack.actors.create("ines", "author", "reviewer", "security", "admin")
    _some_of_everything(stack, everyone)
    return everyone


def _crawl_as(stack, page, everyone: Person) -> None:
    """Signs in and checks every page the links reach, at the page's current size."""
    login(page, stack, everyone)
    visited, problems = crawl(page, stack.url, ["/"])
    assert len(visited) >= 20, visited  # the crawl did reach the app's pages
    assert not problems, "\n".join(describe(where, found) for where, found in problems.items())


def test_every_page_passes_axe_at_a_phones_width(stack, new_page) -> None:
    page = new_page()
    page.set_viewport_size(PHONE)
    _crawl_as(stack, page, _everyone(stack))


def test_every_page_passes_axe_at_desktop_width(stack, new_page) -> None:
    everyone = _everyone(stack)
    page = new_page()
    page.goto(f"{stack.url}/login")
    assert_accessible(page, "/login")
    page.fill("#username", everyone.username)
    page.fill("#password", "not the password")
    page.fill("#otp", "000000")
    page.click("form[action='/login'] button[type=submit]")
    page.wait_for_selector(".flash-error, .error")
    assert_accessible(page, "/login, refused")
    _crawl_as(stack, page, everyone)

    # Pages that come back with errors: a post sent empty.
    page.goto(f"{stack.url}/compose")
    page.click("#compose-form button[type=submit]")
    page.wait_for_selector("#compose-form .error")
    assert_accessible(page, "/compose, sent empty")

    # Pages no link leads to: an enrolment link, and the authenticator step after it.
    visitor = new_page()
    visitor.goto(f"{stack.url}/enrol/{_enrolment_link(stack)}")
    assert_accessible(visitor, "/enrol/<token>")
    visitor.fill("#password", "short")
    visitor.click("#enrol-form button[type=submit]")
    visitor.wait_for_selector("#enrol-form .error")
    assert_accessible(visitor, "/enrol/<token>, refused")
    visitor.fill("#password", "violet tractor under seven moons")
    visitor.fill("#repeat", "violet tractor under seven moons")
    visitor.click("#enrol-form button[type=submit]")
    visitor.wait_for_selector("#enrol-code-form")
    assert_accessible(visitor, "/enrol/<token>, the authenticator")
