"""One typed settings object, read from the TOML file and the ``POSTGATE_*`` environment.

Reading happens inside ``create_app()`` or a CLI command, never at import time, and a
missing or bad value raises :class:`SettingsError` naming the setting. There is no default
secret: keys live in the instance folder (created by ``postgate init``) or the environment.
"""

from __future__ import annotations

import ipaddress
import os
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlparse
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from postgate.envfiles import resolve_file_variables, with_password
from postgate.errors import SettingsError
from postgate.oauth.config import read_endpoints, read_timings
from postgate.urlguard import UrlPolicy, is_valid_entry, literal_refusal

DEFAULT_CONFIG = "config/postgate.toml"

# The platforms whose accounts connect through an app registered with the platform (OAuth):
# settings name -> the ``[platforms.<name>]`` table and the ``POSTGATE_<NAME>_APP_ID`` /
# ``_APP_SECRET`` variables. Instagram accounts connect through the Meta app (``facebook``).
PLATFORM_APPS = ("linkedin", "facebook", "threads", "x")


@dataclass(frozen=True)
class PlatformApp:
    """The app registered with a platform: its public id and its secret (never logged)."""

    app_id: str
    app_secret: str = field(repr=False)


@dataclass(frozen=True)
class Settings:
    """Everything a Postgate process needs to know about its surroundings."""

    instance_path: Path
    config_path: Path
    database_url: str
    redis_url: str
    sandbox_url: str
    rules_path: Path
    catalog_path: Path | None
    redis_prefix: str = "postgate:"
    step_up_seconds: int = 300
    session_hours: int = 12
    api_token_days: int = 90
    otp_max_failures: int = 5
    otp_lock_seconds: int = 900
    otp_lock_max_seconds: int = 86400
    otp_lock_memory_seconds: int = 86400
    login_limit_per_user: int = 10
    login_limit_per_address: int = 30
    login_limit_window: int = 300
    enrolment_link_hours: int = 72
    cooling_off_hours: int = 24
    pending_change_days: int = 7
    login_slow_seconds: int = 30
    login_known_days: int = 30
    reconcile_seconds: int = 30
    duplicate_days: int = 7
    publish_max_attempts: int = 5
    publish_retry_horizon_seconds: int = 6 * 3600
    claim_settle_seconds: int = 30
    web_processes: int = 2
    web_threads: int = 8
    heartbeat_seconds: int = 10
    # [workers] class (POSTGATE_WORKER_CLASS): how a worker runs a job (docs/publishing.md)
    worker_class: str = "simple"
    # [publishing] lookahead_seconds: a post's first publish job comes off RQ's schedule this
    # long before the post is due and waits for the instant itself (docs/publishing.md)
    publish_lookahead_seconds: int = 1
    checkpoint_path: Path | None = None
    checkpoint_seconds: int = 60
    syslog_address: str = "/dev/log"
    checkpoint_webhooks: tuple[str, ...] = ()
    allow_private_urls: tuple[str, ...] = ()
    trusted_proxies: tuple[str, ...] = ()
    trusted_proxy_hops: int = 0
    secret_keys: tuple[str, ...] = ()
    audit_key: str | None = None
    web_secret: str | None = None
    https: bool = False
    metrics_token: str | None = None  # POSTGATE_METRICS_TOKEN: /metrics beyond loopback
    log_format: str = "text"  # POSTGATE_LOG_FORMAT or [logging] format: "text" or "json"
    log_level: str = "INFO"
    # [media]: where image bytes live ("store" or "directory", postgate.media.storage), the
    # largest upload, and the images read during the upload rather than by a worker.
    media_backend: str = "store"
    media_directory: Path | None = None
    media_max_bytes: int = 16 * 1024 * 1024
    media_ocr_inline_pixels: int = 0
    # [watch] (postgate.services.watch): how often accounts without a stream are read, how far
    # back each reading goes, and the longest wait before a dropped stream is opened again.
    watch_poll_seconds: int = 60
    watch_window_hours: int = 24
    watch_reconnect_seconds: int = 30
    # [watch] enabled, or POSTGATE_WATCH_ENABLED: off only where nothing is to be watched (a
    # test that counts every request an account receives).
    watch_enabled: bool = True
    # [organisation] timezone, or POSTGATE_TIMEZONE: the IANA zone the web app shows times in
    # for people who chose none, and the console's default clock.
    timezone: str = "UTC"
    public_url: str | None = None  # [web] public_url: for webhook receivers' download links
    # Notifications (postgate.notifications): the organisation's security channel
    # (POSTGATE_NOTIFY_URLS, Apprise URLs), the Apprise mailto URL that e-mails people who
    # gave only an address (POSTGATE_NOTIFY_SMTP_URL), and [notifications] in the TOML.
    notify_urls: tuple[str, ...] = ()
    notify_smtp_url: str | None = None
    notify_language: str = "fr"
    review_batch_seconds: int = 300
    review_reminder_minutes: int = 60
    notify_max_attempts: int = 8
    notify_retry_seconds: int = 30
    notify_lease_seconds: int = 120
    # [platforms.<name>] app_id / app_secret, or POSTGATE_<NAME>_APP_ID / _APP_SECRET: the
    # apps registered with LinkedIn, Meta (Facebook and Instagram), Threads and X.
    platform_apps: Mapping[str, PlatformApp] = field(default_factory=dict)

    def platform_app(self, name: str) -> PlatformApp | None:
        """The app configured for ``name`` (``instagram`` uses ``facebook``'s), or None."""
        return self.platform_apps.get("facebook" if name == "instagram" else name)

    # OAuth connect and refresh (postgate.oauth.config): endpoint overrides, periods.
    oauth_endpoints: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    oauth_refresh_ahead_seconds: int = 3600
    oauth_refresh_check_seconds: int = 300
    oauth_state_seconds: int = 600

    @property
    def keys_path(self) -> Path:
        return self.instance_path / "keys"

    @property
    def checkpoints_path(self) -> Path:
        """Where audit checkpoints are written: apart from the store, beside the keys."""
        return self.checkpoint_path or self.instance_path / "checkpoints"

    def with_overrides(self, **values: Any) -> Settings:
        return replace(self, **values)


def _positive_int(name: str, value: Any, *, allow_zero: bool = False) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise SettingsError(
            "{name}: expected a whole number, got {value}", name=name, value=repr(value)
        ) from None
    if number < 0 and allow_zero:
        raise SettingsError("{name}: must be zero or more", name=name)
    if number <= 0 and not allow_zero:
        raise SettingsError("{name}: must be positive", name=name)
    return number


def _url(name: str, value: str, schemes: tuple[str, ...]) -> str:
    parsed = urlparse(value)
    if parsed.scheme.split("+")[0] not in schemes:
        raise SettingsError(
            "{name}: expected a URL starting with one of {schemes}",
            name=name,
            schemes=", ".join(f"{scheme}://" for scheme in schemes),
        )
    return value


def _read_toml(path: Path, required: bool) -> dict[str, Any]:
    if not path.exists():
        if required:
            raise SettingsError(
                "POSTGATE_CONFIG: settings file {path} does not exist", path=str(path)
            )
        return {}
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise SettingsError(
            "POSTGATE_CONFIG: {path} is not valid TOML ({detail})", path=str(path), detail=str(exc)
        ) from None


def _section(data: Mapping[str, Any], name: str) -> Mapping[str, Any]:
    value = data.get(name, {})
    if not isinstance(value, Mapping):
        raise SettingsError("[{name}] in the settings file must be a table", name=name)
    return value


def _relative(base: Path, value: str | None) -> Path | None:
    if not value:
        return None
    path = Path(value)
    return path if path.is_absolute() else (base.parent / path).resolve()


def load_settings(
    env: Mapping[str, str] | None = None, overrides: Mapping[str, Any] | None = None
) -> Settings:
    """Build settings from the environment (``env`` defaults to ``os.environ``) and the TOML."""
    env = resolve_file_variables(os.environ if env is None else env)
    config_path = Path(env.get("POSTGATE_CONFIG", DEFAULT_CONFIG)).resolve()
    data = _read_toml(config_path, required="POSTGATE_CONFIG" in env)
    instance = Path(env.get("POSTGATE_INSTANCE", "./instance")).resolve()
    sec, rules, pub, redis_cfg, web, work, audit_cfg, log_cfg, media, notify, watch = (
        _section(data, s)
        for s in (
            "security",
            "rules",
            "publishing",
            "redis",
            "web",
            "workers",
            "audit",
            "logging",
            "media",
            "notifications",
            "watch",
        )
    )
    default_rules = Path(__file__).resolve().parent.parent / "config" / "rules.toml"
    rules_path = _relative(config_path, rules.get("rules")) or default_rules
    catalog_path = _relative(config_path, rules.get("catalog"))
    keys = env.get("POSTGATE_SECRET_KEYS", "")
    ints: dict[str, tuple[Mapping[str, Any], str, bool]] = {
        "step_up_seconds": (sec, "step_up_seconds", True),
        "session_hours": (sec, "session_hours", False),
        "api_token_days": (sec, "api_token_days", False),
        "otp_max_failures": (sec, "otp_max_failures", False),
        "otp_lock_seconds": (sec, "otp_lock_seconds", True),
        "otp_lock_max_seconds": (sec, "otp_lock_max_seconds", True),
        "otp_lock_memory_seconds": (sec, "otp_lock_memory_seconds", True),
        "login_limit_per_user": (sec, "login_limit_per_user", False),
        "login_limit_per_address": (sec, "login_limit_per_address", False),
        "login_limit_window": (sec, "login_limit_window", False),
        "enrolment_link_hours": (sec, "enrolment_link_hours", False),
        "cooling_off_hours": (sec, "cooling_off_hours", True),
        "pending_change_days": (sec, "pending_change_days", True),
        "login_slow_seconds": (sec, "login_slow_seconds", False),
        "login_known_days": (sec, "login_known_days", True),
        "reconcile_seconds": (pub, "reconcile_seconds", False),
        "duplicate_days": (pub, "duplicate_days", True),
        "publish_max_attempts": (pub, "max_attempts", False),
        "publish_retry_horizon_seconds": (pub, "retry_horizon_seconds", True),
        "claim_settle_seconds": (pub, "claim_settle_seconds", False),
        "web_processes": (web, "processes", False),
        "web_threads": (web, "threads", False),
        "heartbeat_seconds": (work, "heartbeat_seconds", False),
        "publish_lookahead_seconds": (pub, "lookahead_seconds", True),
        "checkpoint_seconds": (audit_cfg, "checkpoint_seconds", False),
        "media_max_bytes": (media, "max_bytes", False),
        "media_ocr_inline_pixels": (media, "ocr_inline_pixels", True),
        "review_batch_seconds": (notify, "review_batch_seconds", True),
        "review_reminder_minutes": (notify, "review_reminder_minutes", True),
        "notify_max_attempts": (notify, "max_attempts", False),
        "notify_retry_seconds": (notify, "retry_seconds", False),
        "notify_lease_seconds": (notify, "lease_seconds", False),
        "watch_poll_seconds": (watch, "poll_seconds", False),
        "watch_window_hours": (watch, "window_hours", False),
        "watch_reconnect_seconds": (watch, "reconnect_seconds", False),
    }
    values: dict[str, Any] = {}
    for attr, (table, key, zero_ok) in ints.items():
        if key in table:
            values[attr] = _positive_int(
                f"{key} in the settings file", table[key], allow_zero=zero_ok
            )
    settings = Settings(
        instance_path=instance,
        config_path=config_path,
        database_url=with_password(
            "POSTGATE_DATABASE_PASSWORD",
            _url(
                "POSTGATE_DATABASE_URL",
                env.get("POSTGATE_DATABASE_URL", f"sqlite:///{instance / 'postgate.db'}"),
                ("sqlite", "postgresql"),
            ),
            env.get("POSTGATE_DATABASE_PASSWORD"),
        ),
        redis_url=with_password(
            "POSTGATE_REDIS_PASSWORD",
            _url(
                "POSTGATE_REDIS_URL",
                env.get("POSTGATE_REDIS_URL", "redis://127.0.0.1:6379/0"),
                ("redis", "rediss", "unix"),
            ),
            env.get("POSTGATE_REDIS_PASSWORD"),
        ),
        sandbox_url=_url(
            "POSTGATE_SANDBOX_URL",
            env.get("POSTGATE_SANDBOX_URL", "http://127.0.0.1:8765").rstrip("/"),
            ("http", "https"),
        ),
        rules_path=rules_path,
        catalog_path=catalog_path,
        checkpoint_path=_relative(config_path, _text(audit_cfg, "checkpoint_dir")),
        syslog_address=_text(audit_cfg, "syslog", "/dev/log"),
        checkpoint_webhooks=_urls(audit_cfg, "webhooks"),
        allow_private_urls=_allowed_private(sec),
        **_trusted_proxies(env, web),
        redis_prefix=str(env.get("POSTGATE_REDIS_PREFIX", redis_cfg.get("prefix", "postgate:"))),
        secret_keys=tuple(k.strip() for k in keys.split(",") if k.strip()),
        audit_key=env.get("POSTGATE_AUDIT_KEY") or None,
        web_secret=env.get("POSTGATE_WEB_SECRET") or None,
        https=_flag("POSTGATE_HTTPS", env.get("POSTGATE_HTTPS", "0")),
        metrics_token=env.get("POSTGATE_METRICS_TOKEN") or None,
        log_format=_choice(
            "POSTGATE_LOG_FORMAT",
            env.get("POSTGATE_LOG_FORMAT") or _text(log_cfg, "format", "text"),
            ("text", "json"),
        ),
        log_level=_choice(
            "POSTGATE_LOG_LEVEL",
            (env.get("POSTGATE_LOG_LEVEL") or _text(log_cfg, "level", "INFO")).upper(),
            ("DEBUG", "INFO", "WARNING", "ERROR"),
        ),
        worker_class=_choice(
            "POSTGATE_WORKER_CLASS",
            env.get("POSTGATE_WORKER_CLASS") or _text(work, "class", "simple"),
            ("fork", "simple", "spawn"),
        ),
        media_backend=_choice(
            "backend in [media]", _text(media, "backend", "store"), ("store", "directory")
        ),
        media_directory=_relative(config_path, _text(media, "directory")),
        public_url=_text(web, "public_url").rstrip("/") or None,
        timezone=_organisation_zone(env, _section(data, "organisation")),
        notify_urls=_apprise_urls(env.get("POSTGATE_NOTIFY_URLS", "")),
        notify_smtp_url=env.get("POSTGATE_NOTIFY_SMTP_URL") or None,
        notify_language=_choice(
            "language in [notifications]", _text(notify, "language", "fr"), ("fr", "en")
        ),
        platform_apps=_platform_apps(env, _section(data, "platforms")),
        oauth_endpoints=read_endpoints(data),
        **read_timings(data),
        watch_enabled=_flag(
            "POSTGATE_WATCH_ENABLED",
            env.get("POSTGATE_WATCH_ENABLED") or str(watch.get("enabled", True)),
        ),
        **values,
    )
    return _check_webhooks(_apply(settings, overrides or {}))


def _platform_apps(env: Mapping[str, str], table: Mapping[str, Any]) -> dict[str, PlatformApp]:
    """Each configured platform app; the variables win over the file, field by field, and an
    id without its secret (or the reverse) names what is missing."""
    unknown = sorted(set(table) - set(PLATFORM_APPS))
    if unknown:
        raise SettingsError(
            "[platforms.{name}] in the settings file: unknown platform (known: {choices})",
            name=unknown[0],
            choices=", ".join(PLATFORM_APPS),
        )
    apps: dict[str, PlatformApp] = {}
    for name in PLATFORM_APPS:
        section = _section({f"platforms.{name}": table.get(name, {})}, f"platforms.{name}")
        prefix = f"POSTGATE_{name.upper()}_APP"
        app_id = env.get(f"{prefix}_ID") or _text(section, "app_id")
        secret = env.get(f"{prefix}_SECRET") or _text(section, "app_secret")
        if app_id and secret:
            apps[name] = PlatformApp(app_id.strip(), secret.strip())
        elif app_id or secret:
            missing = f"{prefix}_SECRET" if app_id else f"{prefix}_ID"
            raise SettingsError(
                "{name}: the {platform} app needs both its id and its secret",
                name=missing,
                platform=name,
            )
    return apps


def _organisation_zone(env: Mapping[str, str], table: Mapping[str, Any]) -> str:
    """``POSTGATE_TIMEZONE``, else ``timezone`` in ``[organisation]``, else UTC."""
    if env.get("POSTGATE_TIMEZONE"):
        return _zone("POSTGATE_TIMEZONE", env["POSTGATE_TIMEZONE"])
    return _zone("timezone in [organisation]", _text(table, "timezone", "UTC"))


def _zone(name: str, value: str) -> str:
    """An IANA time zone name, or a SettingsError naming the setting."""
    try:
        if len(value) > 64:
            raise ValueError(value)
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise SettingsError(
            "{name}: unknown time zone {value!r}", name=name, value=value[:64]
        ) from None
    return value


def _choice(name: str, value: str, allowed: tuple[str, ...]) -> str:
    if value not in allowed:
        raise SettingsError(
            "{name} must be one of {choices}", name=name, choices=", ".join(allowed)
        )
    return value


def _text(table: Mapping[str, Any], key: str, default: str = "") -> str:
    value = table.get(key, default)
    if not isinstance(value, str):
        raise SettingsError("{name} in the settings file must be a string", name=key)
    return value


def _urls(table: Mapping[str, Any], key: str) -> tuple[str, ...]:
    value = table.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise SettingsError("{name} in the settings file must be a list of URLs", name=key)
    return tuple(_url(f"{key} in the settings file", v, ("http", "https")) for v in value)


def _apprise_urls(value: str) -> tuple[str, ...]:
    """``POSTGATE_NOTIFY_URLS``: Apprise URLs, comma-separated (each ``scheme://...``)."""
    urls = tuple(u.strip() for u in value.split(",") if u.strip())
    for url in urls:
        if "://" not in url:
            raise SettingsError(
                "POSTGATE_NOTIFY_URLS: expected Apprise URLs (scheme://...), comma-separated"
            )
    return urls


def _allowed_private(table: Mapping[str, Any]) -> tuple[str, ...]:
    value = table.get("allow_private_urls", [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise SettingsError(
            "{name} in the settings file must be a list of strings", name="allow_private_urls"
        )
    for entry in value:
        if not is_valid_entry(entry):
            raise SettingsError(
                "allow_private_urls in the settings file: {entry!r} is not an origin "
                "(http://host:port), a host[:port] or a network (10.0.0.0/8)",
                entry=entry,
            )
    return tuple(value)


def _trusted_proxies(env: Mapping[str, str], table: Mapping[str, Any]) -> dict[str, Any]:
    """``trusted_proxies``: addresses and networks of the reverse proxies in front, or a
    number of hops (``POSTGATE_TRUSTED_PROXIES`` wins: comma-separated, or a number)."""
    value: Any = table.get("trusted_proxies", [])
    name = "trusted_proxies in the settings file"
    if "POSTGATE_TRUSTED_PROXIES" in env:
        name = "POSTGATE_TRUSTED_PROXIES"
        text = env["POSTGATE_TRUSTED_PROXIES"].strip()
        value = int(text) if text.isdigit() else [p for p in text.split(",") if p.strip()]
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return {"trusted_proxies": (), "trusted_proxy_hops": value}
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise SettingsError(
            "{name} must be a number of hops or a list of addresses and networks", name=name
        )
    for entry in value:
        try:
            ipaddress.ip_network(entry.strip(), strict=False)
        except ValueError:
            raise SettingsError(
                "{name}: {entry!r} is not an address or a network (10.0.0.0/8)",
                name=name,
                entry=entry,
            ) from None
    return {"trusted_proxies": tuple(v.strip() for v in value), "trusted_proxy_hops": 0}


def _check_webhooks(settings: Settings) -> Settings:
    """A checkpoint webhook written as a private address must be allowed explicitly (names
    are resolved, and checked again, on every call)."""
    policy = UrlPolicy.for_platform(settings.allow_private_urls)
    for url in settings.checkpoint_webhooks:
        if literal_refusal(policy, url):
            raise SettingsError(
                "webhooks in the settings file: {url} is not a public address; "
                "list it in allow_private_urls to allow it",
                url=url,
            )
    return settings


def _flag(name: str, value: str) -> bool:
    lowered = value.strip().lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off", ""):
        return False
    raise SettingsError("{name}: expected true or false, got {value!r}", name=name, value=value)


def _apply(settings: Settings, overrides: Mapping[str, Any]) -> Settings:
    known = set(Settings.__dataclass_fields__)
    unknown = sorted(set(overrides) - known)
    if unknown:
        raise SettingsError("unknown setting {name!r}", name=unknown[0])
    converters: dict[str, Callable[[Any], Any]] = {
        "instance_path": Path,
        "rules_path": Path,
        "checkpoint_path": Path,
        "checkpoint_webhooks": tuple,
        "allow_private_urls": tuple,
        "trusted_proxies": tuple,
        "notify_urls": tuple,
    }
    values = {k: converters.get(k, lambda v: v)(v) for k, v in overrides.items()}
    return replace(settings, **values)
