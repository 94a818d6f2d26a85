"""``postgate up``: everything for local use in one command, on the ports asked for, refusing
taken ones, and supervising its children. (A killed worker coming back and publishing is
shown in ``tests/workers/test_up_restart.py``.)"""

import os
import signal
import subprocess
import sys
import time

import httpx
import pytest

from postgate.errors import OperationError
from postgate.local import redis_answers
from postgate.supervise import GIVE_UP_AFTER, Supervisor
from tests.conftest import _free_port
from tests.helpers import http_answer, wait_until
from tests.postgate.test_serving import held_port

pytestmark = pytest.mark.store_neutral


def wait_for(url: str, timeout: float = 30.0) -> httpx.Response:
    return wait_until(lambda: http_answer(url), timeout, f"{url} to answer", step=0.3)


def up(env: dict, *args: str, **popen: object) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "postgate", "up", *args],
        env={**env, "PATH": os.environ["PATH"]},
        start_new_session=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        **popen,
    )


def test_up_on_chosen_ports_starts_redis_sandbox_worker_and_web_and_stops_them(env, tmp_path):
    web, sandbox, redis_port = _free_port(), _free_port(), _free_port()
    said = tmp_path / "up.out"
    with said.open("w") as out:
        proc = subprocess.Popen(  # output to a file, read while it runs
            [sys.executable, "-m", "postgate", "up", "--port", str(web),
             "--sandbox-port", str(sandbox), "--redis-port", str(redis_port)],
            env={**env, "PATH": os.environ["PATH"]},
            start_new_session=True, stdout=out, stderr=subprocess.STDOUT, text=True,
        )  # fmt: skip
    try:
        health = wait_for(f"http://127.0.0.1:{web}/healthz", timeout=60)
        assert health.status_code == 200 and health.json()["checks"]["redis"] == "ok"
        assert wait_for(f"http://127.0.0.1:{sandbox}/healthz").status_code == 200
        assert redis_answers(f"redis://127.0.0.1:{redis_port}/0")
        assert wait_for(f"http://127.0.0.1:{web}/login").status_code == 200
        # `up` says so once its own look at the web port succeeds, which may come a moment
        # after ours: wait for the line rather than race it
        up_line = f"Postgate is up: http://127.0.0.1:{web}/"
        wait_until(lambda: up_line in said.read_text(), 30, "the line saying it is up")
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=60)
    output = said.read_text()
    assert "started redis" in output and "started sandbox" in output, output
    time.sleep(0.5)
    assert not redis_answers(f"redis://127.0.0.1:{redis_port}/0")
    for port in (web, sandbox):
        with pytest.raises(httpx.HTTPError):
            httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1)


@pytest.mark.parametrize(
    ("flag", "what"),
    [
        ("--port", "the web app"),
        ("--sandbox-port", "the sandbox platform"),
        ("--redis-port", "a private Redis"),
    ],
)
def test_up_refuses_a_taken_port_in_one_line_and_starts_nothing(env, flag, what):
    free = {"--port": _free_port(), "--sandbox-port": _free_port()}
    with held_port() as taken:
        ports = {**free, flag: taken}
        args = [arg for item in ports.items() for arg in (item[0], str(item[1]))]
        proc = up(env, *args)
        output, errors = proc.communicate(timeout=60)
    assert proc.returncode == 1, output + errors
    assert errors.strip().splitlines() == [
        f"postgate: error: port {taken} on 127.0.0.1 is taken, so {what} cannot listen there: "
        f"stop what uses it or choose another port with {flag}"
    ]
    assert "started" not in output


def test_a_child_that_keeps_dying_is_restarted_with_growing_pauses_then_given_up():
    now = [0.0]
    said: list[str] = []
    sup = Supervisor(echo=said.append, clock=lambda: now[0])
    child = sup.start("worker 1", [sys.executable, "-c", "raise SystemExit(3)"], dict(os.environ))
    pauses = []
    with pytest.raises(OperationError) as stopped:
        for _ in range(GIVE_UP_AFTER):
            assert child.proc is not None
            child.proc.wait(timeout=30)
            sup.check_once()
            assert child.restart_at is not None
            pauses.append(child.restart_at - now[0])
            now[0] = child.restart_at
            sup.check_once()
    assert pauses == [1.0, 2.0, 4.0, 8.0]
    assert "worker 1 stopped 5 times within 60 s (last: exit 3)" in stopped.value.message
    assert said.count("worker 1 stopped (exit 3); starting it again in 1 s") == 1
    assert sum(line.startswith("started worker 1 (pid") for line in said) == GIVE_UP_AFTER


def test_a_child_that_died_long_ago_does_not_count_against_it():
    now = [0.0]
    sup = Supervisor(echo=lambda _line: None, clock=lambda: now[0])
    child = sup.start("web", [sys.executable, "-c", "pass"], dict(os.environ))
    for _ in range(GIVE_UP_AFTER * 2):
        assert child.proc is not None
        child.proc.wait(timeout=30)
        sup.check_once()
        assert child.restart_at is not None and child.restart_at - now[0] == 1.0
        now[0] += 61.0
        sup.check_once()
    sup.stop_all()
