"""``postgate init``, ``postgate keys rotate``, ``postgate audit verify``, ``postgate backup``
and ``postgate restore``."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from postgate import audit_checkpoint
from postgate.backups.restore import restore_backup
from postgate.backups.take import create_backup
from postgate.cli.common import runtime
from postgate.services import keys as key_service
from postgate.services.demo import create_demo
from postgate.services.setup import init_store


@click.command()
@click.option("--demo", is_flag=True, help="Also create demo users, sandbox accounts and posts.")
def init(demo: bool) -> None:
    """Create or upgrade the store (safe to run again)."""
    rt = runtime()
    result = init_store(rt)
    click.echo(f"store ready at {rt.settings.database_url}")
    if result.created_keys:
        click.echo(f"created the secret key file in {rt.settings.keys_path} (back it up)")
    if result.audit_problem:
        click.echo(f"warning: audit chain: {result.audit_problem}", err=True)
    if demo:
        click.echo(create_demo(rt))


@click.group()
def keys() -> None:
    """Keys for secrets at rest."""


@keys.command("rotate")
@click.option(
    "--reencrypt-only",
    is_flag=True,
    help="Do not add a key; re-encrypt everything under the newest existing key.",
)
def rotate(reencrypt_only: bool) -> None:
    """Add a new key and re-encrypt every secret with it."""
    rt = runtime()
    count = key_service.rotate(rt, new_key=not reencrypt_only)
    click.echo(f"re-encrypted {count} secrets under the newest key")


@click.group("audit")
def audit_group() -> None:
    """The hash-chained audit log."""


@audit_group.command("verify")
def verify() -> None:
    """Check every entry, the signed head and the latest checkpoint; exit 1 naming what is
    wrong."""
    result = audit_checkpoint.verify_trail(runtime())
    if result.ok:
        click.echo(f"ok {result.count} entries")
        return
    click.echo(f"bad entry {result.bad_seq}: {result.problem}", err=True)
    sys.exit(1)


@click.command()
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
def backup(file: Path) -> None:
    """Write a backup of the store, the media and a manifest to FILE, while Postgate runs.
    The keys are not in it: keep them, backed up, apart."""
    manifest = create_backup(runtime(), file)
    counts = manifest["counts"]
    click.echo(
        f"backup written to {file}: {counts.get('posts', 0)} posts, "
        f"{manifest['audit_head']['seq']} audit entries, {manifest['media_files']} media files "
        f"(schema {manifest['schema_revision']})"
    )


@click.command()
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def restore(file: Path) -> None:
    """Restore the backup FILE into this empty instance (its keys must be in place)."""
    restored = restore_backup(runtime(), file)
    click.echo(
        f"restored {restored.manifest['counts'].get('posts', 0)} posts from {file}; "
        f"audit chain ok, {restored.audit_entries} entries"
    )
    if restored.needs_upgrade:
        click.echo("the backup's schema is older than this Postgate's: run `postgate init`")


@audit_group.command("checkpoint")
def checkpoint() -> None:
    """Write a signed checkpoint of the chain's head now (file, syslog, webhooks)."""
    rt = runtime()
    result = audit_checkpoint.write_checkpoint(rt, "manual")
    if result.outcome is audit_checkpoint.Outcome.REFUSED:
        click.echo(f"postgate: error: no checkpoint written: {result.problem}", err=True)
        sys.exit(1)
    assert result.checkpoint is not None
    click.echo(
        f"{result.outcome} checkpoint at entry {result.checkpoint.seq} "
        f"in {rt.settings.checkpoints_path}"
    )
