"""``postgate users ...``"""

from __future__ import annotations

import click

from postgate.cli.common import echo_json, read_stdin_secret, runtime
from postgate.services.users import create_user


@click.group()
def users() -> None:
    """Manage Postgate users."""


@users.command("add")
@click.argument("name")
@click.option(
    "--role",
    "roles",
    multiple=True,
    required=True,
    help="author, reviewer, security or admin; repeat for several.",
)
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
def add(name: str, roles: tuple[str, ...], password_stdin: bool, as_json: bool) -> None:
    """Create a user; prints the TOTP secret to enroll in an authenticator app."""
    password = read_stdin_secret("password") if password_stdin else None
    rt = runtime()
    with rt.store.transaction() as db:
        created = create_user(rt, db, name, roles, password=password, actor="cli")
        result = {
            "username": created.user.username,
            "roles": sorted(created.user.role_set),
            "totp_secret": created.totp_secret,
            "otpauth_uri": created.otpauth_uri,
        }
    if created.password is not None:
        result["password"] = created.password
    if as_json:
        echo_json(result)
        return
    click.echo(f"created {result['username']} ({', '.join(result['roles'])})")
    if "password" in result:
        click.echo(f"password: {result['password']}")
    click.echo(f"TOTP secret: {result['totp_secret']}\n{result['otpauth_uri']}")
