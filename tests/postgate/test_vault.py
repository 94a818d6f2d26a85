import pytest
from cryptography.fernet import Fernet, InvalidToken
from sqlalchemy import select

from postgate.errors import SettingsError
from postgate.services import keys
from postgate.services.users import create_user
from postgate.store.models import User
from postgate.vault import Vault, load_keys


def test_encrypt_round_trip_and_ciphertext_hides_plaintext() -> None:
    vault = Vault([Fernet.generate_key().decode()])
    token = vault.encrypt("my-platform-token")
    assert "my-platform-token" not in token
    assert vault.decrypt(token) == "my-platform-token"


def test_invalid_key_is_a_settings_error() -> None:
    with pytest.raises(SettingsError, match="POSTGATE_SECRET_KEYS"):
        Vault(["not-a-key"])


def test_secret_written_under_key_one_reads_after_rotation_and_moves_to_key_two(any_rt) -> None:
    rt = any_rt
    key_one = load_keys(rt.settings)[0]
    with rt.store.transaction() as db:
        created = create_user(rt, db, "alice", ["author"], actor="test")
        stored_before = db.scalar(select(User.totp_secret_enc).where(User.username == "alice"))
    assert Fernet(key_one.encode()).decrypt(stored_before.encode()).decode() == created.totp_secret

    count = keys.rotate(rt)

    assert count == 1
    key_two, old = load_keys(rt.settings)[:2]
    assert old == key_one and key_two != key_one
    with rt.store.session() as db:
        stored_after = db.scalar(select(User.totp_secret_enc).where(User.username == "alice"))
    assert Fernet(key_two.encode()).decrypt(stored_after.encode()).decode() == created.totp_secret
    with pytest.raises(InvalidToken):
        Fernet(key_one.encode()).decrypt(stored_after.encode())
    assert rt.vault.decrypt(stored_after) == created.totp_secret


def test_keys_from_environment_are_used_newest_first(tmp_path) -> None:
    from postgate.settings import load_settings

    new, old = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings = load_settings(
        env={"POSTGATE_INSTANCE": str(tmp_path), "POSTGATE_SECRET_KEYS": f"{new}, {old}"}
    )
    assert load_keys(settings) == [new, old]
    vault = Vault(load_keys(settings))
    assert Fernet(new.encode()).decrypt(vault.encrypt("x").encode()) == b"x"
    assert vault.decrypt(Fernet(old.encode()).encrypt(b"y").decode()) == "y"
