"""``python -m postgate ARGS`` for the tests, forked from a process that imported Postgate once.

A Postgate process spends most of its CPU importing before it does anything (SQLAlchemy and
the models, Flask, RQ, Apprise, Alembic): about 1.5 to 2 s of CPU a process on this 2-core
machine. Process accounting over a full run of the suite showed its few hundred real
processes (workers, servers, sandboxes, one-off commands) spending more CPU than the tests'
own processes, most of it in those imports. So each pytest process keeps a fork server
(:mod:`multiprocessing`'s ``forkserver``) that imports Postgate's command line and the
packages it plugs in once, and a test's Postgate process is forked from it.

The child is still a process of its own, as the tests need: its own pid and process group
(``setsid``, as ``start_new_session`` gave), the environment and working folder the test
asked for, its output in the test's log file or captured, and the same entry point as
``python -m postgate`` (:func:`postgate.cli.main`), ending with its exit status (negative:
the signal that ended it, as :mod:`subprocess` says it). Only the imported modules are
shared, as a pre-forking server shares them; nothing is read from the environment at import
time in Postgate's packages (settings are read when a command runs). ``POSTGATE_TEST_FORK=0``
starts ``python -m postgate`` with :mod:`subprocess` instead, to rule the fork server out.
"""

from __future__ import annotations

import atexit
import multiprocessing
import os
import signal
import subprocess
import sys
import tempfile
from multiprocessing.process import BaseProcess
from pathlib import Path

# What the fork server imports once: the command line, the commands it plugs in, and what
# their first use imports (the app, the worker's jobs, the store's drivers).
PRELOAD = [
    "postgate.cli",
    "postgate.cli.accounts",
    "postgate.cli.admin",
    "postgate.cli.users",
    "postgate.cli.rules",
    "postgate.cli.demo",
    "postgate.cli.processes",
    "workers.cli",
    "workers.jobs",
    "gateway.cli",
    "gateway",
    "sandbox.cli",
    "sqlalchemy.dialects.sqlite",
    "psycopg",
]


def enabled() -> bool:
    return os.environ.get("POSTGATE_TEST_FORK", "1") != "0"


_context: list[multiprocessing.context.ForkServerContext] = []


def _forkserver() -> multiprocessing.context.ForkServerContext:
    if not _context:
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(PRELOAD)
        _context.append(context)
    return _context[0]


def _child(args: list[str], env: dict[str, str], cwd: str, fds: tuple[str, ...]) -> None:
    """In the forked process: become what ``python -m postgate ARGS`` would be, and run it."""
    os.setsid()
    stdin, stdout, stderr = fds
    for target, path, flags in (
        (0, stdin, os.O_RDONLY),
        (1, stdout, os.O_WRONLY | os.O_APPEND),
        (2, stderr, os.O_WRONLY | os.O_APPEND),
    ):
        fd = os.open(path, flags)
        os.dup2(fd, target)
        os.close(fd)
    sys.stdin = open(0, closefd=False)
    os.environ.clear()
    os.environ.update(env)
    os.chdir(cwd)
    sys.argv = [str(Path(cwd) / "postgate" / "__main__.py"), *args]
    code = 1
    try:
        from postgate.cli import main

        main(args)
        code = 0
    except SystemExit as exc:
        if exc.code is None or isinstance(exc.code, int):
            code = exc.code or 0
        else:
            print(exc.code, file=sys.stderr)
    except BaseException:
        import traceback

        traceback.print_exc()
    finally:
        atexit._run_exitfuncs()
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except Exception:
                pass
        os._exit(code)


class Forked:
    """A forked Postgate process with the part of :class:`subprocess.Popen` the tests use."""

    def __init__(self, process: BaseProcess, args: list[str]) -> None:
        self._process, self.args = process, args
        assert process.pid is not None
        self.pid: int = process.pid

    @property
    def returncode(self) -> int | None:
        return self._process.exitcode

    def poll(self) -> int | None:
        return self._process.exitcode

    def wait(self, timeout: float | None = None) -> int:
        self._process.join(timeout)
        code = self._process.exitcode
        if code is None:
            raise subprocess.TimeoutExpired(self.args, timeout or 0)
        return code

    def send_signal(self, sig: int) -> None:
        if self._process.exitcode is None:
            try:
                os.kill(self.pid, sig)
            except ProcessLookupError:
                pass

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)


def _started(args: list[str], env: dict[str, str], cwd: Path, fds: tuple[str, ...]) -> Forked:
    process = _forkserver().Process(target=_child, args=(args, env, str(cwd), fds))
    process.start()
    # Not one of multiprocessing's children: its exit handler would wait at the end of the
    # test process for any the test left running (stop_process_groups ends them).
    multiprocessing.process._children.discard(process)  # type: ignore[attr-defined]
    return Forked(process, ["postgate", *args])


def start(args: list[str], env: dict[str, str], cwd: Path, log: Path) -> Forked:
    """Start ``postgate ARGS`` with ``env`` as its whole environment, output to ``log``."""
    log.write_bytes(b"")
    return _started(args, env, cwd, (os.devnull, str(log), str(log)))


def run(
    args: list[str],
    env: dict[str, str],
    cwd: Path,
    *,
    stdin: str | None = None,
    timeout: float = 120,
) -> subprocess.CompletedProcess[str]:
    """``postgate ARGS`` to its end, its output captured, as :func:`subprocess.run` gives it."""
    with tempfile.TemporaryDirectory(prefix="postgate-run-") as folder:
        paths = [Path(folder) / name for name in ("stdin", "stdout", "stderr")]
        paths[0].write_text(stdin or "")
        for path in paths[1:]:
            path.touch()
        forked = _started(args, env, cwd, tuple(str(p) for p in paths))
        try:
            code = forked.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(forked.pid, signal.SIGKILL)
            forked.wait(10)
            raise
        return subprocess.CompletedProcess(
            forked.args, code, paths[1].read_text(errors="replace"), paths[2].read_text()
        )
