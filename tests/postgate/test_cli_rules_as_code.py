"""``postgate rules import`` and ``export``: the rules as code, through the store's versions."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from tests.helpers import postgate_cli
from tests.postgate.test_rule_versions import CATALOG, RULES

pytestmark = pytest.mark.store_neutral


@pytest.fixture
def cli_env(env: dict, tmp_path: Path) -> dict:
    folder = tmp_path / "rules-src"
    folder.mkdir()
    (folder / "rules.toml").write_text(RULES)
    (folder / "catalog.csv").write_text(CATALOG)
    config = tmp_path / "postgate-rules.toml"
    settings = Path(env["POSTGATE_CONFIG"]).read_text()
    settings = settings.replace('"rules.toml"', f'"{folder / "rules.toml"}"')
    config.write_text(settings.replace('"catalog.csv"', f'"{folder / "catalog.csv"}"'))
    return {**env, "POSTGATE_CONFIG": str(config), "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}


def run(env: dict, *args: str) -> subprocess.CompletedProcess:
    return postgate_cli(list(args), env, timeout=60)


def test_import_export_and_a_loosening_import_waits(cli_env, tmp_path):
    assert run(cli_env, "init").returncode == 0
    first = run(cli_env, "rules", "import", "--json")
    assert first.returncode == 0, first.stderr
    assert json.loads(first.stdout)["status"] == "applied"
    exported = run(cli_env, "rules", "export")
    assert exported.stdout == RULES
    tighter = tmp_path / "tighter.toml"
    tighter.write_text(RULES.replace('"scam",', '"scam", "bargain",'))
    done = run(cli_env, "rules", "import", "--rules", str(tighter))
    assert done.returncode == 0 and "in force" in done.stdout, done.stderr
    out = tmp_path / "out.csv"
    run(cli_env, "rules", "export", "--catalog", str(out))
    assert out.read_text() == CATALOG
    assert '"bargain"' in run(cli_env, "rules", "export").stdout
    cheaper = tmp_path / "cheaper.csv"
    cheaper.write_text(CATALOG.replace("99.99", "9.99"))
    waits = run(cli_env, "rules", "import", "--catalog", str(cheaper))
    assert waits.returncode == 0 and "waits for an admin" in waits.stdout
    assert 'product "A1": price changed' in waits.stdout
    run(cli_env, "rules", "export", "--catalog", str(out))
    assert "99.99" in out.read_text()  # not in force yet


def test_a_bad_file_is_one_line_naming_the_row_and_column(cli_env, tmp_path):
    assert run(cli_env, "init").returncode == 0
    bad = tmp_path / "bad.csv"
    bad.write_text(CATALOG + "B2,Nova,,4.90,EURO,,,\n")
    refused = run(cli_env, "rules", "import", "--catalog", str(bad))
    assert refused.returncode != 0 and "Traceback" not in refused.stderr
    assert "catalog.csv line 3, column 'currency'" in refused.stderr
    assert len(refused.stderr.strip().splitlines()) == 1
