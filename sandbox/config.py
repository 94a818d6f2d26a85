"""Where the sandbox listens and keeps its data, read from the environment in one place.

The sandbox reads the same ``POSTGATE_SANDBOX_URL`` and ``POSTGATE_INSTANCE`` as Postgate's
settings, so ``postgate sandbox serve`` listens where Postgate looks for it; it parses them
here, for itself, since it imports nothing of Postgate.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

DEFAULT_SANDBOX_URL = "http://127.0.0.1:8765"
DEFAULT_INSTANCE = "./instance"


@dataclass(frozen=True)
class SandboxEnv:
    """The sandbox settings that come from ``POSTGATE_*`` variables."""

    url: str
    instance: Path

    @property
    def host(self) -> str:
        """Host part of the URL, the default address ``sandbox serve`` binds to."""
        return urlsplit(self.url).hostname or "127.0.0.1"

    @property
    def port(self) -> int:
        """Port of the URL (80/443 when the URL names none)."""
        parts = urlsplit(self.url)
        return parts.port or (443 if parts.scheme == "https" else 80)

    @property
    def data_path(self) -> Path:
        """The sandbox's own SQLite file, apart from Postgate's store."""
        return self.instance / "sandbox.db"


def sandbox_env(environ: Mapping[str, str] | None = None) -> SandboxEnv:
    """Read ``POSTGATE_SANDBOX_URL`` and ``POSTGATE_INSTANCE``; ValueError names a bad one."""
    env = os.environ if environ is None else environ
    url = (env.get("POSTGATE_SANDBOX_URL") or DEFAULT_SANDBOX_URL).rstrip("/")
    parts = urlsplit(url)
    try:
        parts.port  # noqa: B018 - urlsplit validates the port lazily
    except ValueError as exc:
        raise ValueError(f"POSTGATE_SANDBOX_URL has a bad port: {url}") from exc
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"POSTGATE_SANDBOX_URL must be an http(s) URL, got: {url}")
    instance = Path(env.get("POSTGATE_INSTANCE") or DEFAULT_INSTANCE)
    return SandboxEnv(url=url, instance=instance)
