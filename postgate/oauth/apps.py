"""The app Postgate is registered as on each platform, and where its OAuth endpoints are.

Read by :func:`postgate.settings.load_settings` (never at import time):

- ``[platforms.<name>] app_id`` and ``app_secret`` in the settings file, or the variables
  ``POSTGATE_<NAME>_APP_ID`` and ``POSTGATE_<NAME>_APP_SECRET`` (which win), for ``x``,
  ``linkedin``, ``facebook`` and ``threads``. Instagram is reached through the Meta app of
  Facebook Login, so it takes Facebook's unless it has its own. Mastodon servers need none:
  Postgate registers itself on each server when an account is connected.
- ``[oauth.<name>]``: ``authorize_url``, ``token_url``, ``long_lived_url``, ``refresh_url``,
  ``api_url`` replace the platform's own (a local stand-in in the tests, a proxy).
- ``[oauth]``: ``refresh_ahead_seconds`` (refresh a token this long before it expires,
  default an hour), ``refresh_check_seconds`` (how often the workers look, default 5 min),
  ``state_seconds`` (how long a consent may take, default 10 min).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from postgate.errors import SettingsError
from postgate.oauth.providers import URL_FIELDS

APP_PLATFORMS = ("x", "linkedin", "facebook", "instagram", "threads")
SHARES_APP = {"instagram": "facebook"}  # one Meta app for Facebook Login and Instagram


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


def read_apps(env: Mapping[str, str], data: Mapping[str, Any]) -> dict[str, OAuthApp]:
    """Every platform app configured, by platform name (see the module doc)."""
    apps: dict[str, OAuthApp] = {}
    for name in APP_PLATFORMS:
        table = _table(data, "platforms", name)
        prefix = f"POSTGATE_{name.upper()}_APP_"
        app_id = env.get(prefix + "ID") or _string(table, "app_id", f"platforms.{name}")
        secret = env.get(prefix + "SECRET") or _string(table, "app_secret", f"platforms.{name}")
        if bool(app_id) != bool(secret):
            missing = f"{prefix}SECRET" if app_id else f"{prefix}ID"
            raise SettingsError(
                "{name} is missing: a platform app needs both its id and its secret", name=missing
            )
        if app_id:
            apps[name] = OAuthApp(app_id, secret)
    for name, source in SHARES_APP.items():
        if name not in apps and source in apps:
            apps[name] = apps[source]
    return apps


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
