"""Secrets at rest: platform credentials and TOTP secrets, encrypted with Fernet keys.

Keys are kept outside the database: in ``POSTGATE_SECRET_KEYS`` (comma-separated, newest
first) or in ``<instance>/keys/secret.keys`` (one per line, newest first, mode 0600).
Several keys at once make rotation free of downtime: :class:`~cryptography.fernet.MultiFernet`
decrypts with any of them and encrypts with the newest.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from postgate.errors import SettingsError
from postgate.settings import Settings

KEY_FILE = "secret.keys"


class SecretUnreadable(Exception):
    """A ciphertext no current key can open (a key was removed too early)."""


class Vault:
    """Encrypts and decrypts short secrets; never logs or shows them."""

    def __init__(self, keys: list[str]):
        if not keys:
            raise SettingsError(
                "POSTGATE_SECRET_KEYS: no key to encrypt secrets with; run `postgate init`"
            )
        try:
            self._fernets = [Fernet(k.encode()) for k in keys]
        except (ValueError, TypeError):
            raise SettingsError("POSTGATE_SECRET_KEYS: a key is not a valid Fernet key") from None
        self._multi = MultiFernet(self._fernets)

    def __repr__(self) -> str:
        return f"<Vault keys={len(self._fernets)}>"

    def encrypt(self, plaintext: str) -> str:
        return self._multi.encrypt(plaintext.encode()).decode()

    def decrypt(self, ciphertext: str) -> str:
        try:
            return self._multi.decrypt(ciphertext.encode()).decode()
        except InvalidToken:
            raise SecretUnreadable(
                "a stored secret cannot be decrypted with the current keys"
            ) from None

    def encrypt_json(self, value: dict[str, Any]) -> str:
        return self.encrypt(json.dumps(value, sort_keys=True))

    def decrypt_json(self, ciphertext: str) -> dict[str, Any]:
        value = json.loads(self.decrypt(ciphertext))
        return value if isinstance(value, dict) else {}

    def rotate(self, ciphertext: str) -> str:
        """Re-encrypt under the newest key."""
        try:
            return self._multi.rotate(ciphertext.encode()).decode()
        except InvalidToken:
            raise SecretUnreadable(
                "a stored secret cannot be decrypted with the current keys"
            ) from None


def key_file(settings: Settings) -> Path:
    return settings.keys_path / KEY_FILE


def load_keys(settings: Settings) -> list[str]:
    if settings.secret_keys:
        return list(settings.secret_keys)
    path = key_file(settings)
    if not path.exists():
        return []
    return [line.strip() for line in path.read_text().splitlines() if line.strip()]


def load_vault(settings: Settings) -> Vault:
    return Vault(load_keys(settings))


def write_private(path: Path, content: str) -> None:
    """Write a file readable by its owner only, atomically (temp file then rename)."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    tmp = path.with_suffix(path.suffix + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(content)
    os.replace(tmp, path)


def ensure_keys(settings: Settings) -> bool:
    """Create the key file with one key when there is none; True when one was created."""
    if settings.secret_keys or key_file(settings).exists():
        return False
    write_private(key_file(settings), Fernet.generate_key().decode() + "\n")
    return True


def add_new_key(settings: Settings) -> list[str]:
    """Put a fresh key in front of the key file; returns the new key list, newest first."""
    if settings.secret_keys:
        raise SettingsError(
            "POSTGATE_SECRET_KEYS: keys come from the environment; put a new key first in that "
            "variable (python -c 'from cryptography.fernet import Fernet; "
            "print(Fernet.generate_key().decode())') and run "
            "`postgate keys rotate --reencrypt-only`"
        )
    keys = [Fernet.generate_key().decode(), *load_keys(settings)]
    write_private(key_file(settings), "\n".join(keys) + "\n")
    return keys
