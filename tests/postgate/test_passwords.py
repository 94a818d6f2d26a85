"""Password hashing and the password policy."""

from __future__ import annotations

import pytest

from postgate import passwords
from postgate.errors import ValidationFailed


def test_hash_is_argon2id_and_verifies() -> None:
    hashed = passwords.hash_password("purple elephant dancing")
    assert hashed.startswith("$argon2id$")
    assert "purple" not in hashed
    assert passwords.verify_password(hashed, "purple elephant dancing")
    assert not passwords.verify_password(hashed, "purple elephant dancinG")
    assert not passwords.verify_password("not a hash", "x")


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("short1!", "at least 12"),
        ("x" * 257, "at most 256"),
        ("password1234", "too common"),
        ("Password2024!!", "too common"),
        ("azertyuiop123", "too common"),
        ("aaaaaaaaaaaaaaaa", "too simple"),
        ("12121212121212", "too simple"),
        ("my name is margaux, ok", "user name"),
        ("1qaz2wsx3edc4rfv", "too easy to guess"),  # a keyboard walk
        ("passwordpassword", "too easy to guess"),  # a repeat of a common word
        ("dragondragon99", "too easy to guess"),  # a repeated well-known word
        ("Jennifer1987!", "too easy to guess"),  # a first name and a year
    ],
)
def test_policy_refuses_weak_passwords_with_a_clear_message(password: str, message: str) -> None:
    with pytest.raises(ValidationFailed, match=message) as refused:
        passwords.check_policy(password, "margaux")
    assert refused.value.field == "password"
    assert password not in refused.value.message


def test_policy_accepts_a_long_passphrase() -> None:
    passwords.check_policy("correct horse battery staple", "margaux")


def test_generated_passwords_pass_the_policy() -> None:
    for _ in range(20):
        passwords.check_policy(passwords.generate_password(), "someone")
