"""The capability table of docs/platforms.md, made from the registry (a test keeps the two
equal: ``python -m postgate.platforms.table`` prints it)."""

from __future__ import annotations

from postgate.platforms.registry import PLATFORMS
from postgate.platforms.spec import PlatformSpec, Quota

COLUMNS = (
    "platform",
    "idempotency",
    "edit",
    "delete",
    "lists non-public posts",
    "revoke",
    "posts (quota)",
    "deletions (quota)",
    "max length",
    "images",
    "after a lost answer",
)


def _yes(flag: bool) -> str:
    return "yes" if flag else "**no**"


def _quota(quota: Quota | None) -> str:
    if quota is None:
        return "not documented"
    if quota.seconds % 3600 == 0:
        return f"{quota.calls} / {quota.seconds // 3600} h"
    return f"{quota.calls} / {quota.seconds // 60} min"


def _images(spec: PlatformSpec) -> str:
    low = spec.limits.min_media
    return f"{low} to {spec.limits.max_media}" if low else f"up to {spec.limits.max_media}"


def row(spec: PlatformSpec) -> tuple[str, ...]:
    can = spec.capabilities
    return (
        f"`{spec.name}`",
        _yes(can.idempotency),
        _yes(can.edit),
        _yes(can.delete),
        _yes(can.list_non_public),
        _yes(can.revoke),
        _quota(spec.post_quota),
        _quota(spec.delete_quota) if can.delete else "—",
        str(spec.limits.max_length),
        _images(spec),
        spec.read_back.value,
    )


def capability_table() -> str:
    """The Markdown table, one row per platform in the registry's order."""
    lines = ["| " + " | ".join(COLUMNS) + " |", "|" + "---|" * len(COLUMNS)]
    lines += ["| " + " | ".join(row(spec)) + " |" for spec in PLATFORMS.values()]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(capability_table(), end="")
