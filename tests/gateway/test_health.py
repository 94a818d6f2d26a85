import pytest

from gateway import create_app

# Its subject is pages, HTTP shapes or a protocol; the store work behind it is held on both
# databases by the service tests: the PostgreSQL pass leaves it out.
pytestmark = pytest.mark.store_neutral


def test_healthz_is_200_when_store_and_redis_answer(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json()["checks"] == {"store": "ok", "redis": "ok"}


def test_healthz_is_503_naming_redis_when_it_does_not_answer(rt):
    settings = rt.settings.with_overrides(redis_url="redis://127.0.0.1:1/0")
    response = create_app({"TESTING": True}, settings=settings).test_client().get("/healthz")
    assert response.status_code == 503
    body = response.get_json()
    assert body["checks"]["store"] == "ok" and body["checks"]["redis"].startswith("unavailable")
    assert "redis" in body["message"]


def test_healthz_is_503_naming_the_store_when_it_does_not_answer(rt, tmp_path):
    settings = rt.settings.with_overrides(database_url=f"sqlite:///{tmp_path}/missing/dir/x.db")
    (tmp_path / "missing").write_text("a file where a folder should be")
    response = create_app({"TESTING": True}, settings=settings).test_client().get("/healthz")
    assert response.status_code == 503 and "store" in response.get_json()["message"]


def test_security_headers_on_every_response(client):
    response = client.get("/healthz")
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    assert "Strict-Transport-Security" not in response.headers


def test_unknown_api_path_is_json_404(client):
    response = client.get("/api/v1/nothing-here", headers={"Authorization": "Bearer x"})
    assert response.status_code in (401, 404)
    assert "error" in response.get_json()


def test_create_app_without_init_names_the_missing_setting(tmp_path):
    import pytest

    from postgate.errors import SettingsError
    from postgate.settings import load_settings

    settings = load_settings(env={"POSTGATE_INSTANCE": str(tmp_path / "fresh")})
    with pytest.raises(SettingsError, match="POSTGATE_WEB_SECRET"):
        create_app(settings=settings)
