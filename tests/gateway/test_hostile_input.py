"""Hostile input never gets a 500: each attack of issue 10, against the API and the web pages.

Every store-backed test runs on SQLite here and again on PostgreSQL in the second run of
``./scripts/test``, where most of these used to fail differently (an integer out of range,
a NUL byte, a user name longer than its column).
"""

from __future__ import annotations

import pytest

from tests.helpers import make_account

EARLY_DATES = ["0001-01-01T00:00:00+01:00", "0001-01-01T00:00:00Z", "1066-10-14T09:00:00Z"]
LATE_DATES = ["9999-12-31T23:59:59-01:00", "9999-12-31T23:59:59Z", "3000-01-01T00:00:00Z"]
BIG_IDS = [2**31, 2**63, 2**64]


@pytest.fixture
def world(rt, client, actors):
    make_account(rt, "acme")
    author = actors.person("alice", "author")
    boss = actors.person("sam", "author", "reviewer", "security", "admin")
    made = client.post(
        "/api/v1/posts", json={"account": "acme", "text": "hi"}, headers=author.headers
    )
    return {"author": author, "boss": boss, "post": made.get_json()["id"]}


def refused(answer, status: int, error: str | None = None, field: str | None = None) -> dict:
    """A 4xx with the API's JSON error body."""
    body = answer.get_json()
    assert answer.status_code == status, (answer.status_code, body)
    assert isinstance(body, dict) and body["error"] and isinstance(body["message"], str)
    assert error is None or body["error"] == error, body
    assert field is None or body.get("field") == field, body
    return body


@pytest.mark.parametrize("when", EARLY_DATES + LATE_DATES)
def test_a_date_out_of_range_is_refused(client, world, when: str) -> None:
    headers = world["author"].headers
    body = {"account": "acme", "text": "hi", "scheduled_at": when}
    refused(
        client.post("/api/v1/posts", json=body, headers=headers), 422, "invalid", "scheduled_at"
    )
    edit = client.patch(
        f"/api/v1/posts/{world['post']}", json={"scheduled_at": when}, headers=headers
    )
    refused(edit, 422, "invalid", "scheduled_at")
    since = client.post("/api/v1/takedowns", json={"since": when}, headers=world["boss"].headers)
    refused(since, 422, "invalid", "since")


@pytest.mark.parametrize(
    ("path", "raw"),
    [
        ("/api/v1/posts", '{"account": "acme", "text": "hi \\ud800 there"}'),
        ("/api/v1/posts", '{"account": "acme", "text": "hi", "\\udfff": 1}'),
        ("/api/v1/session", '{"username": "\\ud83d", "password": "x", "otp": "123456"}'),
    ],
)
def test_a_lone_surrogate_is_refused(client, world, path: str, raw: str) -> None:
    answer = client.post(
        path, data=raw, content_type="application/json", headers=world["author"].headers
    )
    refused(answer, 400, "malformed")


@pytest.mark.parametrize("depth", [100, 100_000])
def test_deeply_nested_json_is_refused(client, world, depth: int) -> None:
    raw = '{"account": "acme", "text": ' + "[" * depth + "]" * depth + "}"
    for path in ("/api/v1/posts", "/api/v1/session"):
        answer = client.post(
            path, data=raw, content_type="application/json", headers=world["author"].headers
        )
        refused(answer, 400, "malformed")


@pytest.mark.parametrize("big", BIG_IDS)
def test_a_huge_id_in_a_path_is_not_found(client, world, big: int) -> None:
    boss = world["boss"].headers
    for method, path in (
        ("get", f"/api/v1/posts/{big}"),
        ("post", f"/api/v1/posts/{big}/cancel"),
        ("delete", f"/api/v1/tokens/{big}"),
        ("get", f"/api/v1/takedowns/{big}"),
        ("get", f"/api/v1/takedowns/{big}/report"),
    ):
        refused(getattr(client, method)(path, headers=boss), 404, "not_found")


@pytest.mark.parametrize("big", BIG_IDS)
def test_a_huge_number_in_a_body_or_query_is_refused(client, world, big: int) -> None:
    boss = world["boss"].headers
    answer = client.patch("/api/v1/accounts/acme", json={"approvals_required": big}, headers=boss)
    refused(answer, 422, "invalid")
    refused(client.get(f"/api/v1/audit?after={big}", headers=boss), 422, "invalid", "after")
    refused(client.post("/api/v1/tokens", json={"name": "t", "days": big}, headers=boss), 422)


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/api/v1/posts", {"account": "acme", "text": "hi\x00there"}),
        ("/api/v1/posts", {"account": "ac\x00me", "text": "hi"}),
        ("/api/v1/freeze", {"reason": "drill\x00"}),
        ("/api/v1/session", {"username": "al\x00ice", "password": "x", "otp": "123456"}),
    ],
)
def test_a_nul_byte_in_a_body_is_refused(client, world, path: str, body: dict) -> None:
    refused(client.post(path, json=body, headers=world["boss"].headers), 400, "malformed")


def test_a_nul_byte_in_a_query_or_path_is_refused(client, world) -> None:
    boss = world["boss"].headers
    refused(client.get("/api/v1/posts?status=pending%00", headers=boss), 400, "malformed")
    refused(client.get("/api/v1/audit?actor=sam%00", headers=boss), 400, "malformed")
    answer = client.post("/api/v1/users/al%00ice/revoke", json={}, headers=boss)
    refused(answer, 400, "malformed")


def test_a_65_character_user_name_at_login_is_an_ordinary_failed_login(rt, client, world):
    answer = client.post(
        "/api/v1/session", json={"username": "a" * 65, "password": "x" * 12, "otp": "123456"}
    )
    refused(answer, 401, "login_failed")
    answer = client.post(
        "/api/v1/users/" + "a" * 65 + "/revoke", json={}, headers=world["boss"].headers
    )
    refused(answer, 404, "not_found")


def test_web_pages_answer_hostile_input_with_a_4xx_page(client, web, world, actors) -> None:
    web.login(actors.create("sami", "author", "reviewer", "security"))
    for big in BIG_IDS:
        for path in (
            f"/posts/{big}",
            f"/review/{big}",
            f"/security/takedowns/{big}",
            f"/calendar/move/{big}",
        ):
            assert client.get(path).status_code == 404, path
    for path in ("/posts?status=x%00", "/security/audit?actor=%00"):
        answer = client.get(path)
        assert answer.status_code == 400 and "<html" in answer.get_data(as_text=True), path
    assert client.get("/security/audit?before=" + "9" * 30).status_code == 422
    for start in ("0001-01-01", "9999-12-31"):
        assert client.get(f"/calendar?start={start}").status_code == 200
    made = web.submit("/compose", accounts="acme", text="hello", scheduled_at="2030-12-24T10:00")
    moves = f"/calendar/move/{made.headers['Location'].rsplit('/', 1)[1]}"
    assert client.get(f"{moves}?scheduled_at=%00&timezone=%00").status_code == 400
    odd = client.get(f"{moves}?scheduled_at=soon&timezone=../../etc&back=%0d%0a//x")
    assert odd.status_code == 200 and 'value="2030-12-24T10:00"' in odd.get_data(as_text=True)
    for when in ("0001-01-01T00:00", "9999-12-31T23:59", "x\x00"):
        answer = web.submit(moves, page="/calendar", scheduled_at=when, timezone="UTC")
        assert answer.status_code in (400, 422) and "<html" in answer.get_data(as_text=True)


@pytest.mark.parametrize("when", ["0001-01-01T00:00", "9999-12-31T23:59"])
def test_compose_with_a_date_out_of_range_is_refused_on_the_form(web, world, actors, when):
    web.login(actors.create("ann", "author"))
    form = {"accounts": ["acme"], "text": "hello", "scheduled_at": when}
    assert web.submit("/compose", form).status_code == 422
    typed = {"accounts": ["acme"], "text": "hi", "scheduled_at": when}
    check = web.submit("/compose/check", page="/compose", json=typed)
    assert check.status_code == 200  # checked as undated while being typed


def test_compose_with_a_nul_byte_is_refused(web, world, actors) -> None:
    web.login(actors.create("ann", "author"))
    answer = web.submit("/compose", {"accounts": ["acme"], "text": "a\x00b"})
    assert answer.status_code == 400 and "<html" in answer.get_data(as_text=True)


def test_web_login_with_a_65_character_name_is_refused_on_the_form(web, world) -> None:
    form = {"username": "a" * 65, "password": "x" * 12, "otp": "123456"}
    assert web.submit("/login", form).status_code == 422


@pytest.mark.parametrize("bad", ["/me\r\nSet-Cookie: pwned=1", "/me\nLocation: //evil", "/me\t"])
def test_next_with_control_characters_is_dropped(client, web, actors, bad: str) -> None:
    ana = actors.create("ana", "author")
    page = client.get("/login", query_string={"next": bad})
    assert page.status_code == 200
    assert '<input id="next" name="next" type="hidden" value="">' in page.get_data(as_text=True)
    answer = web.try_login(ana, next=bad)
    assert answer.status_code == 302 and answer.headers["Location"] == "/posts"
    assert "pwned" not in str(answer.headers)
