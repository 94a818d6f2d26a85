"""``postgate users ...``"""

from __future__ import annotations

import click

from postgate.cli.common import echo_json, read_stdin_secret, runtime
from postgate.services import password_change, revocation
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


@users.command("password")
@click.argument("name")
@click.option("--password-stdin", is_flag=True, help="Read the new password from standard input.")
@click.option(
    "--keep-sessions",
    is_flag=True,
    help="Leave the user's sessions and API tokens running (by default they end).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
def password(name: str, password_stdin: bool, keep_sessions: bool, as_json: bool) -> None:
    """Set NAME's password (generated and printed unless given on stdin); audited."""
    new = read_stdin_secret("password") if password_stdin else None
    rt = runtime()
    with rt.store.transaction() as db:
        done = password_change.set_password(
            rt, db, name.strip().lower(), new, actor="cli", end_sessions=not keep_sessions
        )
    result: dict[str, object] = done.to_dict()
    if done.password is not None:
        result["password"] = done.password
    if as_json:
        echo_json(result)
        return
    click.echo(f"password of {done.username} changed; {done.sessions_ended} sessions ended")
    if done.password is not None:
        click.echo(f"password: {done.password}")


@users.command("enable")
@click.argument("name")
def enable(name: str) -> None:
    """Enable the revoked user NAME again (their credentials are as they were); audited."""
    rt = runtime()
    with rt.store.transaction() as db:
        user = revocation.reinstate_user(rt, db, name.strip().lower(), actor="cli")
        username = user.username
    click.echo(f"{username} is enabled again")
