"""``postgate accounts ...``"""

from __future__ import annotations

import json

import click

from postgate.cli.common import echo_json, read_stdin_secret, runtime
from postgate.platforms.registry import platform_names
from postgate.services.account_views import account_as_shown
from postgate.services.accounts import add_account


@click.group()
def accounts() -> None:
    """Manage the social accounts Postgate publishes to."""


@accounts.command("add")
@click.argument("name")
@click.option("--platform", type=click.Choice(platform_names()), required=True)
@click.option("--base-url", help="The platform's API address (instance URL for Mastodon).")
@click.option(
    "--token-stdin",
    is_flag=True,
    help="Read the credentials from standard input (a token, or a JSON object).",
)
@click.option("--client-id", help="The app's client id (Mastodon): revoking the token needs it.")
@click.option(
    "--client-secret-stdin",
    is_flag=True,
    help="Read the app's client secret from standard input (after the token with --token-stdin).",
)
@click.option("--timezone", default="UTC", show_default=True)
@click.option(
    "--window",
    "windows",
    multiple=True,
    help='Posting window like "mon-fri 08:00-20:00"; repeat for several.',
)
@click.option("--blackout", "blackouts", multiple=True, help="A date (YYYY-MM-DD) with no posts.")
@click.option("--approvals", default=1, show_default=True, type=click.IntRange(1, 5))
@click.option("--json", "as_json", is_flag=True)
def add(
    name: str,
    platform: str,
    base_url: str | None,
    token_stdin: bool,
    client_id: str | None,
    client_secret_stdin: bool,
    timezone: str,
    windows: tuple[str, ...],
    blackouts: tuple[str, ...],
    approvals: int,
    as_json: bool,
) -> None:
    """Connect an account; its credentials are verified, then stored encrypted."""
    secret = _credentials(token_stdin, client_id, client_secret_stdin)
    rt = runtime()
    with rt.store.transaction() as db:
        account = add_account(
            rt,
            db,
            name,
            platform,
            base_url=base_url,
            secret=secret,
            timezone=timezone,
            windows=windows,
            blackout_dates=blackouts,
            approvals_required=approvals,
            actor="cli",
        )
        shown = account_as_shown(db, account)
    if as_json:
        echo_json(shown)
    else:
        click.echo(
            f"connected {shown['name']} on {shown['platform']} ({shown['handle'] or 'no handle'})"
        )


def _credentials(token_stdin: bool, client_id: str | None, secret_stdin: bool) -> str | None:
    """What the admin gave: a token or JSON on stdin, plus the app's client pair.

    With both ``--token-stdin`` and ``--client-secret-stdin``, standard input holds the
    token on its first line and the client secret on its second.
    """
    if client_id is None and not secret_stdin:
        return read_stdin_secret("token") if token_stdin else None
    if client_id is None or not secret_stdin:
        raise click.UsageError("--client-id and --client-secret-stdin go together")
    lines = read_stdin_secret("client-secret").splitlines()
    token = lines.pop(0).strip() if token_stdin and len(lines) > 1 else None
    if token_stdin and token is None:
        raise click.UsageError("standard input must hold the token, then the client secret")
    if len(lines) != 1 or not lines[0].strip():
        raise click.UsageError("standard input must hold the client secret on one line")
    fields = {"client_id": client_id, "client_secret": lines[0].strip()}
    return json.dumps({"token": token, **fields} if token else fields)
