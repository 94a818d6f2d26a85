"""The apps registered with the platforms: ``[platforms.<name>]`` or ``POSTGATE_<NAME>_APP_*``."""

from pathlib import Path

import pytest

from postgate.errors import SettingsError
from postgate.settings import load_settings


def _settings(tmp_path: Path, toml: str = "", **env: str):
    config = tmp_path / "postgate.toml"
    config.write_text(toml, encoding="utf-8")
    return load_settings(
        env={"POSTGATE_INSTANCE": str(tmp_path), "POSTGATE_CONFIG": str(config), **env}
    )


def test_no_app_configured_by_default(tmp_path: Path) -> None:
    assert _settings(tmp_path).platform_apps == {}


def test_apps_from_the_file_and_the_environment(tmp_path: Path) -> None:
    settings = _settings(
        tmp_path,
        '[platforms.linkedin]\napp_id = "li-id"\napp_secret = "li-secret"\n'
        '[platforms.facebook]\napp_id = "fb-file"\napp_secret = "fb-secret"\n',
        POSTGATE_FACEBOOK_APP_ID="fb-env",
        POSTGATE_THREADS_APP_ID="th-id",
        POSTGATE_THREADS_APP_SECRET="th-secret",
    )
    assert settings.platform_apps["linkedin"].app_id == "li-id"
    assert settings.platform_apps["facebook"].app_id == "fb-env"  # the variable wins
    assert settings.platform_app("instagram") == settings.platform_apps["facebook"]
    assert settings.platform_app("threads").app_secret == "th-secret"
    assert settings.platform_app("x") is None
    assert "th-secret" not in repr(settings)


def test_an_id_without_its_secret_names_the_missing_variable(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="POSTGATE_X_APP_SECRET"):
        _settings(tmp_path, POSTGATE_X_APP_ID="x-id")


@pytest.mark.parametrize(
    ("toml", "named"),
    [
        ('[platforms.myspace]\napp_id = "a"\n', "platforms.myspace"),
        ("[platforms]\nlinkedin = 3\n", "platforms.linkedin"),
        ("[platforms.linkedin]\napp_id = 3\n", "app_id"),
    ],
)
def test_bad_platform_tables_name_the_setting(tmp_path: Path, toml: str, named: str) -> None:
    with pytest.raises(SettingsError, match=named.replace(".", r"\.")):
        _settings(tmp_path, toml)
