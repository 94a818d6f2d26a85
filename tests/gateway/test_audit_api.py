def test_security_reads_the_log_after_a_sequence_number(actors, client):
    sam = actors.person("sam", "security")
    entries = client.get("/api/v1/audit", headers=sam.headers).get_json()["entries"]
    assert entries and [e["seq"] for e in entries] == list(range(1, len(entries) + 1))
    assert any(e["action"] == "session:login" and e["actor"] == "sam" for e in entries)
    after = entries[-2]["seq"]
    rest = client.get(f"/api/v1/audit?after={after}", headers=sam.headers).get_json()["entries"]
    assert [e["seq"] for e in rest] == [entries[-1]["seq"]]


def test_audit_filters_and_verify(actors, client):
    admin = actors.person("ada", "admin")
    actors.create("eve", "author")
    body = client.get("/api/v1/audit?action=user:create", headers=admin.headers).get_json()
    assert {e["target"] for e in body["entries"]} == {"user:ada", "user:eve"}
    assert "password" not in str(body).lower()
    verify = client.get("/api/v1/audit/verify", headers=admin.headers).get_json()
    assert verify["ok"] is True and verify["entries"] >= 3


def test_authors_and_reviewers_cannot_read_the_log(actors, client):
    for person in (actors.person("alice", "author"), actors.person("bob", "reviewer")):
        assert client.get("/api/v1/audit", headers=person.headers).status_code == 403


def test_bad_after_is_422_naming_the_field(actors, client):
    sam = actors.person("sam", "security")
    response = client.get("/api/v1/audit?after=abc", headers=sam.headers)
    assert response.status_code == 422 and response.get_json()["field"] == "after"
