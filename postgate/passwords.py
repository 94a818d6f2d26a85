"""Password hashing (argon2id) and the password policy.

The policy follows NIST SP 800-63B: length over composition rules, and refusal of passwords
that are common or derived from the user's own name.
"""

from __future__ import annotations

import secrets
import string

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from zxcvbn import zxcvbn

from postgate.errors import ValidationFailed

MIN_LENGTH = 12
MAX_LENGTH = 256
MIN_SCORE = 3  # zxcvbn: "safely unguessable: moderate protection from offline slow-hash"
ZXCVBN_MAX = 72  # zxcvbn refuses longer input; the first 72 characters decide anyway
_hasher = PasswordHasher()

# The most common passwords and the roots they are built from; a password equal to one of
# these, or one of them padded with digits and symbols, is refused.
COMMON = frozenset(
    """
    password passw0rd p@ssword p@ssw0rd motdepasse azerty azertyuiop qwerty qwertyuiop
    123456 1234567 12345678 123456789 1234567890 111111 000000 abc123 letmein welcome
    iloveyou admin administrator monkey dragon football baseball sunshine princess
    trustno1 master shadow superman batman starwars soleil bonjour doudou chouchou
    loulou marseille nicolas julien changeme secret postgate
    """.split()
)


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)


def generate_password() -> str:
    """A random password of 20 characters that passes the policy."""
    alphabet = string.ascii_letters + string.digits
    return "-".join("".join(secrets.choice(alphabet) for _ in range(5)) for _ in range(4))


def _root(password: str) -> str:
    return password.lower().strip(string.digits + string.punctuation + " ")


def check_policy(password: str, username: str = "") -> None:
    """Raise :class:`ValidationFailed` (field ``password``) naming what is wrong."""
    if len(password) < MIN_LENGTH:
        raise ValidationFailed(
            "the password needs at least {count} characters", field="password", count=MIN_LENGTH
        )
    if len(password) > MAX_LENGTH:
        raise ValidationFailed(
            "the password may have at most {count} characters", field="password", count=MAX_LENGTH
        )
    lowered = password.lower()
    if lowered in COMMON or _root(password) in COMMON or len(set(password)) < 5:
        raise ValidationFailed(
            "this password is too common or too simple; choose another", field="password"
        )
    if username and len(username) >= 3 and username.lower() in lowered:
        raise ValidationFailed("the password must not contain the user name", field="password")
    if _guessable(password, username):
        raise ValidationFailed(
            "this password is too easy to guess (a keyboard pattern, a repeated or well-known "
            "word); a few unrelated words are stronger",
            field="password",
        )


def _guessable(password: str, username: str) -> bool:
    """zxcvbn's estimate below "safely unguessable": it knows the leaked-password lists,
    dictionaries, keyboard walks, repeats and dates that a short word list cannot hold."""
    hints = [h for h in (username, "postgate") if h]
    return zxcvbn(password[:ZXCVBN_MAX], user_inputs=hints)["score"] < MIN_SCORE
