"""``postgate sandbox ...``: run the sandbox platform and act on it directly.

Plugged into the ``postgate`` command by this package (the ``postgate.commands`` entry
points in ``pyproject.toml``); ``python -m sandbox`` runs the same group alone.

Every failure ends as one line on stderr and a non-zero exit (click's exceptions),
never a traceback.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from sandbox import client
from sandbox.config import SandboxEnv, sandbox_env
from sandbox.faults import RateLimit, parse_rate_limit
from sandbox.server import serve as run_server
from sandbox.store import VISIBILITIES
from sandbox.switches import DEFAULT_DELETION_LIMIT, Realism


class RateLimitType(click.ParamType):
    """``N/SECONDS`` on the command line."""

    name = "N/SECONDS"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if isinstance(value, RateLimit):
            return value
        try:
            return parse_rate_limit(str(value))
        except ValueError as exc:
            self.fail(str(exc), param, ctx)


def _env() -> SandboxEnv:
    try:
        return sandbox_env()
    except ValueError as exc:
        raise click.UsageError(str(exc)) from exc


def _call(action: Any, *args: Any, **kwargs: Any) -> Any:
    """Run a client call, turning its errors into click's one-line failures."""
    try:
        return action(*args, **kwargs)
    except (client.SandboxUnreachable, client.SandboxRequestError) as exc:
        raise click.ClickException(str(exc)) from exc


@click.group(name="sandbox")
def sandbox() -> None:
    """The local sandbox platform (a Mastodon API subset) for offline use and tests."""


@sandbox.command()
@click.option("--host", help="Address to bind (default: host of POSTGATE_SANDBOX_URL).")
@click.option("--port", type=click.IntRange(0, 65535), help="Default: POSTGATE_SANDBOX_URL.")
@click.option("--latency-ms", type=click.IntRange(min=0), default=0, show_default=True)
@click.option("--rate-limit", type=RateLimitType(), help="Per-account limit, e.g. 300/300.")
@click.option("--error-rate", type=click.FloatRange(0, 1), default=0.0, show_default=True)
@click.option("--data", type=click.Path(dir_okay=False, path_type=Path), help="SQLite file.")
@click.option(
    "--deletion-limit",
    default=str(DEFAULT_DELETION_LIMIT),
    show_default=True,
    help="Deletions per account, N/SECONDS, apart from --rate-limit; 'off' for none.",
)
def serve(
    host: str | None,
    port: int | None,
    latency_ms: int,
    rate_limit: RateLimit | None,
    error_rate: float,
    data: Path | None,
    deletion_limit: str,
) -> None:
    """Serve the sandbox until interrupted."""
    env = _env()
    try:
        run_server(
            host or env.host,
            env.port if port is None else port,
            data or env.data_path,
            latency_ms=latency_ms,
            rate_limit=rate_limit,
            error_rate=error_rate,
            realism=Realism(deletion_limit=_deletion_limit(deletion_limit)),
        )
    except OSError as exc:
        raise click.ClickException(f"cannot serve the sandbox: {exc.strerror or exc}") from exc


def _deletion_limit(text: str) -> RateLimit | None:
    if text.strip().lower() == "off":
        return None
    try:
        return parse_rate_limit(text)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--deletion-limit") from exc


@sandbox.command()
@click.argument("account")
@click.argument("text")
@click.option(
    "--visibility",
    type=click.Choice(VISIBILITIES),
    default="public",
    show_default=True,
    help="private = followers only, direct = mentioned people only.",
)
@click.option("--edit", "edit_id", metavar="ID", help="Rewrite the live status ID with TEXT.")
def post(account: str, text: str, visibility: str, edit_id: str | None) -> None:
    """Post TEXT on ACCOUNT directly, bypassing Postgate (as an attacker would), or with
    --edit rewrite one of its posts (Postgate's own included)."""
    url = _env().url
    if edit_id is not None:
        status = _call(client.edit_direct, url, account, edit_id, text)
    else:
        status = _call(client.post_direct, url, account, text, visibility)
    click.echo(f"{status['id']} {status['url']}")


@sandbox.command(name="list")
@click.argument("account")
@click.option("--json", "as_json", is_flag=True, help='Print [{"id", "text", "created_at"}].')
def list_posts(account: str, as_json: bool) -> None:
    """List ACCOUNT's live posts on the platform, newest first."""
    posts = _call(client.list_live, _env().url, account)
    if as_json:
        click.echo(json.dumps(posts))
        return
    for item in posts:
        click.echo(f"{item['id']}  {item['created_at']}  {item['text']}")


@sandbox.command()
@click.argument("account")
def token(account: str) -> None:
    """Issue an access token for ACCOUNT (created if needed)."""
    click.echo(_call(client.issue_token, _env().url, account)["access_token"])


@sandbox.command()
@click.option("--markup/--no-markup", default=None, help="HTML entities as Mastodon marks them up.")
@click.option(
    "--idempotency/--no-idempotency", default=None, help="Remember Idempotency-Key (or ignore it)."
)
@click.option("--idempotency-ttl", type=click.IntRange(min=1), help="Seconds a key is remembered.")
@click.option("--max-characters", type=click.IntRange(min=1), help="configuration.statuses limit.")
@click.option("--url-length", type=click.IntRange(min=1), help="Characters reserved per URL.")
def behaviour(
    markup: bool | None,
    idempotency: bool | None,
    idempotency_ttl: int | None,
    max_characters: int | None,
    url_length: int | None,
) -> None:
    """Show or change how the running sandbox behaves; prints the settings as JSON."""
    changes = {
        "markup": markup,
        "idempotency": idempotency,
        "idempotency_ttl_seconds": idempotency_ttl,
        "max_characters": max_characters,
        "characters_reserved_per_url": url_length,
    }
    wanted = {name: value for name, value in changes.items() if value is not None}
    url = _env().url
    settings = _call(client.set_behaviour, url, **wanted) if wanted else None
    click.echo(json.dumps(settings or _call(client.get_behaviour, url)))
