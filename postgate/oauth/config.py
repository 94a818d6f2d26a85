"""The OAuth settings: Postgate's app on each platform, where the endpoints are, and periods.

The apps are the settings' ``platform_apps`` (``[platforms.<name>] app_id`` / ``app_secret``,
or ``POSTGATE_<NAME>_APP_ID`` / ``_APP_SECRET``; Instagram uses Facebook's): :func:`app_for`.
Mastodon servers need none: Postgate registers itself on each server when an account is
connected. Read by :func:`postgate.settings.load_settings` (never at import time):
- ``[oauth.<name>]``: ``authorize_url``, ``token_url``, ``long_lived_url``, ``refresh_url``,
  ``api_url`` replace the platform's own (a local stand-in in the tests, a proxy).
- ``[oauth]``: ``refresh_ahead_seconds`` (refresh a token this long before it expires,
  default an hour), ``refresh_check_seconds`` (how often the workers look, default 5 min),
  ``state_seconds`` (how long a consent may take, default 10 min).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from postgate.errors import SettingsError
from postgate.oauth.providers import URL_FIELDS

if TYPE_CHECKING:  # settings builds on this module
    from postgate.settings import Settings


@dataclass(frozen=True)
class OAuthApp:
    """The client id and secret of Postgate's app on one platform."""

    client_id: str
    client_secret: str

    def __repr__(self) -> str:  # the secret never reaches a log line
        return f"OAuthApp(client_id={self.client_id!r})"


def _table(data: Mapping[str, Any], *names: str) -> Mapping[str, Any]:
    value: Any = data
    for name in names:
        value = value.get(name, {}) if isinstance(value, Mapping) else None
        if not isinstance(value, Mapping):
            raise SettingsError(
                "[{name}] in the settings file must be a table", name=".".join(names)
            )
    return value


def _string(table: Mapping[str, Any], key: str, where: str) -> str:
    value = table.get(key, "")
    if not isinstance(value, str):
        raise SettingsError("{name} in the settings file must be a string", name=f"{where}.{key}")
    return value.strip()


def app_for(settings: Settings, platform: str) -> OAuthApp | None:
    """Postgate's app on ``platform`` as the settings give it (``[platforms.<name>]``)."""
    app = settings.platform_app(platform)
    return OAuthApp(app.app_id, app.app_secret) if app is not None else None


def read_endpoints(data: Mapping[str, Any]) -> dict[str, dict[str, str]]:
    """The URLs ``[oauth.<platform>]`` replaces, by platform name."""
    oauth = _table(data, "oauth")
    out: dict[str, dict[str, str]] = {}
    for name, table in oauth.items():
        if not isinstance(table, Mapping):
            continue  # a plain setting of [oauth]
        urls = {key: _string(table, key, f"oauth.{name}") for key in URL_FIELDS if key in table}
        for key, url in urls.items():
            if not url.startswith(("http://", "https://")):
                raise SettingsError(
                    "{name} in the settings file must be an http(s) URL", name=f"oauth.{name}.{key}"
                )
        out[name] = urls
    return out


def read_timings(data: Mapping[str, Any]) -> dict[str, Any]:
    """``[oauth]`` periods, as Settings fields (only those given)."""
    oauth = _table(data, "oauth")
    out: dict[str, Any] = {}
    for key in ("refresh_ahead_seconds", "refresh_check_seconds", "state_seconds"):
        if key not in oauth:
            continue
        value = oauth[key]
        if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
            raise SettingsError("{name} in the settings file must be positive", name=key)
        out[f"oauth_{key}"] = value
    return out
