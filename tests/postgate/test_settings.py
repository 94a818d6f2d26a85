from pathlib import Path

import pytest

from postgate.errors import SettingsError
from postgate.settings import load_settings

ROOT = Path(__file__).resolve().parents[2]


def base_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {
        "POSTGATE_INSTANCE": str(tmp_path),
        "POSTGATE_CONFIG": str(ROOT / "config/postgate.toml"),
    }
    env.update(extra)
    return env


def test_defaults_follow_the_contract(tmp_path: Path) -> None:
    settings = load_settings(env={"POSTGATE_INSTANCE": str(tmp_path)})
    assert settings.database_url == f"sqlite:///{tmp_path.resolve() / 'postgate.db'}"
    assert settings.redis_url == "redis://127.0.0.1:6379/0"
    assert settings.sandbox_url == "http://127.0.0.1:8765"
    assert settings.step_up_seconds == 300


def test_example_config_is_read(tmp_path: Path) -> None:
    settings = load_settings(env=base_env(tmp_path))
    assert settings.rules_path == (ROOT / "config/rules.toml").resolve()
    assert settings.catalog_path == (ROOT / "config/catalog.csv").resolve()
    assert settings.otp_max_failures == 5


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("POSTGATE_DATABASE_URL", "mysql://x"),
        ("POSTGATE_REDIS_URL", "http://127.0.0.1:6379"),
        ("POSTGATE_SANDBOX_URL", "ftp://x"),
        ("POSTGATE_HTTPS", "maybe"),
    ],
)
def test_bad_environment_value_names_the_variable(
    tmp_path: Path, variable: str, value: str
) -> None:
    with pytest.raises(SettingsError) as caught:
        load_settings(env=base_env(tmp_path, **{variable: value}))
    assert variable in caught.value.message


def test_bad_value_in_the_file_names_the_setting(tmp_path: Path) -> None:
    config = tmp_path / "postgate.toml"
    config.write_text("[security]\nstep_up_seconds = 'soon'\n")
    with pytest.raises(SettingsError, match="step_up_seconds"):
        load_settings(env=base_env(tmp_path, POSTGATE_CONFIG=str(config)))


def test_missing_named_config_file_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="POSTGATE_CONFIG"):
        load_settings(env=base_env(tmp_path, POSTGATE_CONFIG=str(tmp_path / "nope.toml")))


def test_broken_toml_is_an_error(tmp_path: Path) -> None:
    config = tmp_path / "postgate.toml"
    config.write_text("[security\n")
    with pytest.raises(SettingsError, match="not valid TOML"):
        load_settings(env=base_env(tmp_path, POSTGATE_CONFIG=str(config)))


def test_step_up_window_may_be_zero(tmp_path: Path) -> None:
    config = tmp_path / "postgate.toml"
    config.write_text("[security]\nstep_up_seconds = 0\n")
    assert load_settings(env=base_env(tmp_path, POSTGATE_CONFIG=str(config))).step_up_seconds == 0
