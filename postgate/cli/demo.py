"""``postgate demo otp NAME``: a current TOTP code for a demo user."""

from __future__ import annotations

import click

from postgate.cli.common import runtime
from postgate.services.demo import demo_code


@click.group()
def demo() -> None:
    """Helpers for the demo organisation created by `postgate init --demo`."""


@demo.command("otp")
@click.argument("name")
def otp_command(name: str) -> None:
    """Print a current TOTP code for demo user NAME."""
    click.echo(demo_code(runtime(), name))
