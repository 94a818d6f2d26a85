"""``postgate accounts ...``"""

from __future__ import annotations

import click

from postgate.cli.common import echo_json, read_stdin_secret, runtime
from postgate.platforms.registry import platform_names
from postgate.services.accounts import account_to_dict, add_account


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
    timezone: str,
    windows: tuple[str, ...],
    blackouts: tuple[str, ...],
    approvals: int,
    as_json: bool,
) -> None:
    """Connect an account; its credentials are verified, then stored encrypted."""
    secret = read_stdin_secret("token") if token_stdin else None
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
        shown = account_to_dict(account)
    if as_json:
        echo_json(shown)
    else:
        click.echo(
            f"connected {shown['name']} on {shown['platform']} ({shown['handle'] or 'no handle'})"
        )
