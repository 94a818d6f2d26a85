"""docs/platforms.md shows the registry's capability table as it is, and documents every
platform's credentials."""

from __future__ import annotations

import re

from postgate.platforms.registry import PLATFORMS
from postgate.platforms.table import capability_table
from tests.conftest import ROOT

DOC = ROOT / "docs" / "platforms.md"
TABLE = re.compile(r"<!-- capability-table -->\n(.*?)<!-- /capability-table -->", re.DOTALL)


def test_the_documented_table_is_the_registrys():
    found = TABLE.search(DOC.read_text(encoding="utf-8"))
    assert found, "docs/platforms.md lost its capability-table markers"
    assert found.group(1) == capability_table(), "run: python -m postgate.platforms.table"


def test_the_table_says_what_each_platform_cannot_do():
    rows = {line.split(" | ")[0].strip("| `"): line for line in capability_table().splitlines()}
    assert "| 50 / 24 h |" in rows["instagram"] and "| 1 to 10 |" in rows["instagram"]
    assert "| 250 / 24 h | 100 / 24 h |" in rows["threads"]
    assert rows["instagram"].count("**no**") == 2  # idempotency, edit
    assert "| **no** |" in rows["threads"] and rows["facebook"].count("**no**") == 3
    assert set(rows) >= set(PLATFORMS)


def test_every_oauth_platform_documents_its_credentials():
    text = DOC.read_text(encoding="utf-8")
    for name in ("linkedin", "facebook", "instagram", "threads", "x"):
        section = text.split(f"### {PLATFORMS[name].title.split()[0]}")[1].split("###")[0]
        for credential in PLATFORMS[name].credentials:
            assert f"`{credential.name}`" in section, (name, credential.name)
