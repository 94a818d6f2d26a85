"""compose.yaml: valid against the Compose Specification's schema, shaped as the deployment
guide says, and its services' commands and health checks run for real.

No container engine runs here, so each Postgate service's ``command`` and ``healthcheck`` are
read from compose.yaml and run as processes on this machine (the image's entrypoint is
``postgate``), against the test store and Redis, with loopback and a free port in place of
0.0.0.0:8000. What compose runs is therefore what is tested.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from tests.conftest import ROOT, _free_port
from tests.deploy.test_image import instructions
from tests.helpers import run_postgate, start_postgate, stop_process_groups, wait_until
from tests.workers.conftest import descendants

COMPOSE = ROOT / "compose.yaml"
SCHEMA = Path(__file__).parent / "compose-spec.json"


def compose() -> dict[str, Any]:
    return yaml.safe_load(COMPOSE.read_text())


def test_compose_file_is_valid_against_the_compose_specification():
    validator = jsonschema.Draft202012Validator(json.loads(SCHEMA.read_text()))
    errors = [f"{e.json_path}: {e.message}" for e in validator.iter_errors(compose())]
    assert not errors, errors


def test_the_schema_check_is_live():
    """A misspelt key and a wrong type are caught, so a pass above means something."""
    validator = jsonschema.Draft202012Validator(json.loads(SCHEMA.read_text()))
    broken = compose()
    broken["services"]["web"]["healthcheck"]["intervall"] = "5s"
    broken["services"]["worker"]["deploy"]["replicas"] = [2]
    assert len(list(validator.iter_errors(broken))) == 2


def test_services_are_the_ones_the_deployment_needs():
    services = compose()["services"]
    assert set(services) == {"init", "web", "worker", "postgres", "redis"}
    assert services["worker"]["deploy"]["replicas"] == 2
    for name in ("web", "worker"):
        after = services[name]["depends_on"]
        assert after["init"]["condition"] == "service_completed_successfully"
        assert after["postgres"]["condition"] == after["redis"]["condition"] == "service_healthy"
        mounts = services[name]["volumes"]
        assert "instance:/var/lib/postgate" in mounts
        assert any(m.startswith("./config:/etc/postgate") and m.endswith(":ro") for m in mounts)
    assert services["init"]["restart"] == "no" and services["init"]["command"] == ["init"]
    assert "--processes" in services["web"]["command"]


def test_secrets_come_from_files_and_redis_requires_its_password():
    spec = compose()
    assert {s["file"] for s in spec["secrets"].values()} == {
        "./secrets/postgres_password",
        "./secrets/redis_password",
    }
    env = spec["services"]["web"]["environment"]
    assert (
        "@" in env["POSTGATE_DATABASE_URL"]
        and ":" not in env["POSTGATE_DATABASE_URL"].split("//")[1].split("@")[0]
    ), "no password in the URL"
    assert env["POSTGATE_DATABASE_PASSWORD_FILE"] == "/run/secrets/postgres_password"
    assert env["POSTGATE_REDIS_PASSWORD_FILE"] == "/run/secrets/redis_password"
    redis = spec["services"]["redis"]
    command = " ".join(redis["command"])
    assert "requirepass" in command and "--appendonly yes" in command
    assert "noeviction" in command
    assert spec["services"]["postgres"]["environment"]["POSTGRES_PASSWORD_FILE"]
    assert {"postgres", "redis", "instance"} <= set(spec["volumes"])


def as_local(argv: list[str], port: int) -> list[str]:
    """A compose command or health check as a local ``postgate`` argument list."""
    if argv and argv[0] in ("CMD", "CMD-SHELL"):
        argv = argv[1:]
    if argv and argv[0] == "postgate":
        argv = argv[1:]
    return [
        "127.0.0.1" if arg == "0.0.0.0" else str(port) if arg == "8000" else arg for arg in argv
    ]


def image_health(env: dict[str, str], port: int) -> subprocess.CompletedProcess[str]:
    """The Dockerfile's HEALTHCHECK command, with this test's port for 8000."""
    (health,) = [rest for keyword, rest in instructions() if keyword == "HEALTHCHECK"]
    shell = json.loads(health[health.index("CMD") + 3 :])[2].replace("8000", str(port))
    shell = shell.replace("postgate ", f"{sys.executable} -m postgate ")
    return subprocess.run(
        ["sh", "-c", shell], env={**os.environ, **env}, cwd=ROOT, capture_output=True, text=True
    )


@pytest.fixture
def compose_env(env: dict[str, str], tmp_path: Path) -> dict[str, str]:
    config = tmp_path / "postgate.toml"
    config.write_text(
        f'[rules]\nrules = "{ROOT / "config" / "rules.toml"}"\n[workers]\nheartbeat_seconds = 1\n'
    )
    return {**env, "POSTGATE_CONFIG": str(config)}


@pytest.mark.postgresql_pass  # compose's store is PostgreSQL
def test_compose_services_commands_and_health_checks_run(compose_env, tmp_path):
    services = compose()["services"]
    port = _free_port()
    web_cmd = as_local(services["web"]["command"], port)
    refused = run_postgate(compose_env, *web_cmd)
    assert refused.returncode == 1 and "run `postgate init`" in refused.stderr, refused.stderr
    assert len(refused.stderr.strip().splitlines()) == 1

    init = run_postgate(compose_env, *as_local(services["init"]["command"], port))
    assert init.returncode == 0, init.stderr

    web_health = as_local(services["web"]["healthcheck"]["test"], port)
    worker_health = as_local(services["worker"]["healthcheck"]["test"], port)
    assert run_postgate(compose_env, *worker_health).returncode == 1, "healthy before any worker"
    procs: list[subprocess.Popen[bytes]] = []
    try:
        web = start_postgate(web_cmd, compose_env, tmp_path / "web.log")
        procs.append(web)
        wait_until(
            lambda: run_postgate(compose_env, *web_health).returncode == 0, 60, "web healthy"
        )
        gunicorn_workers = web_cmd[web_cmd.index("--processes") + 1]
        wait_until(lambda: len(descendants(web.pid)) == int(gunicorn_workers), 30, "gunicorn")

        worker = start_postgate(as_local(services["worker"]["command"], port), compose_env,
                                tmp_path / "worker.log")  # fmt: skip
        procs.append(worker)
        wait_until(lambda: run_postgate(compose_env, *worker_health).returncode == 0, 60, "worker")
        web_role = image_health(compose_env, port)
        assert web_role.returncode == 0 and f"ok http://127.0.0.1:{port}/healthz" in web_role.stdout

        os.killpg(web.pid, signal.SIGTERM)
        assert web.wait(timeout=30) == 0
        down = run_postgate(compose_env, *web_health)
        assert down.returncode == 1 and "does not answer" in down.stderr
        assert image_health(compose_env, port).returncode == 0, "the worker role is still healthy"

        for pid in [worker.pid, *descendants(worker.pid)]:
            os.kill(pid, signal.SIGKILL)
        worker.wait(timeout=10)
        killed_at = time.monotonic()
        checks_begun: list[float] = []  # when each check began: starting Python is not the check

        def reads_unhealthy() -> bool:
            checks_begun.append(time.monotonic())
            return run_postgate(compose_env, *worker_health).returncode == 1

        wait_until(reads_unhealthy, 30, "stale")
        assert checks_begun[-1] - killed_at < 10, "a dead worker must read unhealthy quickly"
        stale = run_postgate(compose_env, *worker_health)
        assert "stale" in stale.stderr, stale.stderr
        assert image_health(compose_env, port).returncode == 1
    finally:
        stop_process_groups(procs)
