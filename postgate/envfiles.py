"""Secrets from files: ``POSTGATE_X_FILE=/run/secrets/x`` stands for ``POSTGATE_X`` holding
that file's content, the convention of the official PostgreSQL image and of Docker and
Compose secrets, so a password or key never has to sit in the environment, where
``docker inspect`` and ``/proc/PID/environ`` show it.

Passwords can also come apart from their URLs (``POSTGATE_DATABASE_PASSWORD``,
``POSTGATE_REDIS_PASSWORD``, or their ``_FILE`` forms): one secret file then serves both
PostgreSQL (``POSTGRES_PASSWORD_FILE``) or Redis (``requirepass``) and Postgate.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from urllib.parse import quote, urlsplit, urlunsplit

from postgate.errors import SettingsError

PREFIX, SUFFIX = "POSTGATE_", "_FILE"


def resolve_file_variables(env: Mapping[str, str]) -> dict[str, str]:
    """``env`` with every ``POSTGATE_X_FILE`` replaced by ``POSTGATE_X`` = the file's text
    (one trailing newline dropped, as ``echo secret > file`` leaves one)."""
    resolved = dict(env)
    for name, path in env.items():
        if not (name.startswith(PREFIX) and name.endswith(SUFFIX)) or not path:
            continue
        target = name[: -len(SUFFIX)]
        if env.get(target):
            raise SettingsError(
                "{name}: set either {name} or {target}, not both", name=name, target=target
            )
        try:
            text = Path(path).read_text(encoding="utf-8")
        except OSError as exc:
            raise SettingsError(
                "{name}: cannot read {path} ({reason})",
                name=name,
                path=path,
                reason=exc.strerror or type(exc).__name__,
            ) from None
        resolved[target] = text.removesuffix("\n").removesuffix("\r")
        del resolved[name]
    return resolved


def with_password(name: str, url: str, password: str | None) -> str:
    """``url`` with ``password`` put in its user-info part (percent-encoded)."""
    if not password:
        return url
    parts = urlsplit(url)
    if parts.password:
        raise SettingsError(
            "{name}: the URL holds a password already; drop it from the URL or unset the "
            "separate password",
            name=name,
        )
    userinfo, _, host = parts.netloc.rpartition("@")
    netloc = f"{userinfo}:{quote(password, safe='')}@{host}"  # the user stays as written
    return urlunsplit(parts._replace(netloc=netloc))
