"""The organisation's time zone (``[organisation] timezone``, ``POSTGATE_TIMEZONE``) and each
person's own, as the services read them (no HTTP)."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from postgate.errors import SettingsError, ValidationFailed
from postgate.services.user_zone import set_timezone, zone_of
from postgate.settings import load_settings
from postgate.store.models import AuditEntry, User

ROOT = Path(__file__).resolve().parents[2]


def env(tmp_path: Path, **extra: str) -> dict[str, str]:
    return {"POSTGATE_INSTANCE": str(tmp_path), **extra}


def test_the_organisations_zone_from_the_file_or_the_environment(tmp_path: Path) -> None:
    assert load_settings(env=env(tmp_path)).timezone == "UTC"
    config = tmp_path / "postgate.toml"
    config.write_text('[organisation]\ntimezone = "Europe/Paris"\n')
    from_file = load_settings(env=env(tmp_path, POSTGATE_CONFIG=str(config)))
    assert from_file.timezone == "Europe/Paris"
    overridden = env(tmp_path, POSTGATE_CONFIG=str(config), POSTGATE_TIMEZONE="Asia/Tokyo")
    assert load_settings(env=overridden).timezone == "Asia/Tokyo"


def test_an_unknown_zone_names_the_setting(tmp_path: Path) -> None:
    config = tmp_path / "postgate.toml"
    config.write_text('[organisation]\ntimezone = "Europe/Atlantis"\n')
    with pytest.raises(SettingsError, match=r"timezone in \[organisation\]"):
        load_settings(env=env(tmp_path, POSTGATE_CONFIG=str(config)))
    with pytest.raises(SettingsError, match="POSTGATE_TIMEZONE"):
        load_settings(env=env(tmp_path, POSTGATE_TIMEZONE="../../etc/passwd"))


def test_a_person_without_a_zone_reads_the_organisations(rt, actors) -> None:
    actors.create("rita", "reviewer")
    with rt.store.transaction() as db:
        rita = db.scalar(select(User).where(User.username == "rita"))
        assert zone_of(rt, rita) == rt.settings.timezone == "UTC"
        assert set_timezone(rt, db, rita, "America/Sao_Paulo", source="test") == (
            "America/Sao_Paulo"
        )
        with pytest.raises(ValidationFailed) as refused:
            set_timezone(rt, db, rita, "Moon/Tranquility")
        assert refused.value.field == "timezone"
        assert set_timezone(rt, db, rita, "  ") == "UTC"  # empty: the organisation's again
    with rt.store.session() as db:  # entries are written as their transaction commits
        changes = db.scalars(select(AuditEntry).where(AuditEntry.action == "user:timezone"))
        assert [e.details["to"] for e in changes] == ["America/Sao_Paulo", None]
