"""Filling the console's takedown form as the security lead does, and reading it back."""

from __future__ import annotations

import re


def submit_takedown(web, sam, **extra):
    """The takedown form of the console, for acme since 5 January, with a fresh code."""
    form = {"accounts": "acme", "since": "2026-01-05T08:30", "clock": "UTC", **extra}
    if "otp" not in form:
        form["otp"] = sam.code()
    return web.submit("/security/takedowns", form, page="/security")


def checked(body: str, name: str, value: str) -> bool:
    return bool(
        re.search(
            rf'<input checked id="{name}-\d+" name="{name}" type="checkbox" '
            rf'value="{re.escape(value)}">',
            body,
        )
    )
