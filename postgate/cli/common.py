"""What every command needs: the runtime from the environment, and JSON output."""

from __future__ import annotations

import json
import sys
from typing import Any

import click

from postgate.runtime import Runtime


def runtime() -> Runtime:
    return Runtime.from_environment()


def echo_json(value: Any) -> None:
    click.echo(json.dumps(value, indent=2, ensure_ascii=False, default=str))


def read_stdin_secret(what: str) -> str:
    """One secret from standard input, without its trailing newline; never echoed."""
    if sys.stdin is None or sys.stdin.closed:
        raise click.UsageError(f"--{what}-stdin given but there is no standard input")
    value = sys.stdin.read().rstrip("\r\n")
    if not value:
        raise click.UsageError(f"--{what}-stdin given but standard input was empty")
    return value
