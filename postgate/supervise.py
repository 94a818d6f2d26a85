"""Keep a few child processes running, as ``postgate up`` needs: start them, start again one
that dies, stop them all on the way out.

A child that dies is started again after a pause that doubles with each death in the last
minute (1 s, 2 s, 4 s ... at most 30 s). One that dies :data:`GIVE_UP_AFTER` times within
:data:`RAPID_WINDOW` seconds is not going to come up by itself (a port taken, a broken
setting): the supervisor stops everything and says so, rather than restarting it forever.

Each child runs in a process group of its own, and when it dies whatever it left behind in
that group is killed before it starts again: a worker killed on its own leaves RQ's
scheduler process running, holding the scheduler locks and the dead worker's Redis
connection, whose pending BLPOP would swallow the next job pushed on the queue.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from postgate.errors import OperationError

GIVE_UP_AFTER = 5
RAPID_WINDOW = 60.0
MAX_PAUSE = 30.0
STOP_GRACE = 10.0


@dataclass
class Child:
    """One supervised process: how to start it, and what became of it."""

    name: str
    argv: list[str]
    env: dict[str, str]
    proc: subprocess.Popen[bytes] | None = None
    deaths: list[float] = field(default_factory=list)
    restart_at: float | None = None


def describe_exit(code: int) -> str:
    if code < 0:
        try:
            return f"killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"killed by signal {-code}"
    return f"exit {code}"


class Supervisor:
    def __init__(
        self, echo: Callable[[str], None], clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.echo, self.clock = echo, clock
        self.children: list[Child] = []

    def start(self, name: str, argv: list[str], env: dict[str, str]) -> Child:
        child = Child(name, argv, env)
        self.children.append(child)
        self._launch(child)
        return child

    def _launch(self, child: Child) -> None:
        child.proc = subprocess.Popen(child.argv, env=child.env, process_group=0)  # noqa: S603
        child.restart_at = None
        self.echo(f"started {child.name} (pid {child.proc.pid})")

    def check_once(self) -> None:
        """Notice children that died, and start again those whose pause is over."""
        now = self.clock()
        for child in self.children:
            if child.restart_at is not None:
                if now >= child.restart_at:
                    self._launch(child)
                continue
            assert child.proc is not None
            code = child.proc.poll()
            if code is not None:
                kill_group(child.proc.pid)
                self._schedule_restart(child, code, now)

    def _schedule_restart(self, child: Child, code: int, now: float) -> None:
        child.deaths = [t for t in child.deaths if now - t < RAPID_WINDOW] + [now]
        if len(child.deaths) >= GIVE_UP_AFTER:
            raise OperationError(
                f"{child.name} stopped {len(child.deaths)} times within {RAPID_WINDOW:.0f} s "
                f"(last: {describe_exit(code)}); see its output above. Stopping everything"
            )
        pause = min(MAX_PAUSE, 2.0 ** (len(child.deaths) - 1))
        child.restart_at = now + pause
        self.echo(
            f"{child.name} stopped ({describe_exit(code)}); starting it again in {pause:.0f} s"
        )

    def watch(self, period: float = 0.5) -> None:
        """Supervise until interrupted (Ctrl-C, SIGTERM) or a child is given up on."""
        while True:
            self.check_once()
            time.sleep(period)

    def stop_all(self) -> None:
        """SIGTERM every child, newest first; SIGKILL those still running after the grace."""
        running = [c.proc for c in reversed(self.children) if c.proc and c.proc.poll() is None]
        for proc in running:
            proc.send_signal(signal.SIGTERM)
        for proc in running:
            try:
                proc.wait(timeout=STOP_GRACE)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=5)
        for child in self.children:
            if child.proc is not None:
                kill_group(child.proc.pid)


def kill_group(pgid: int) -> None:
    """SIGKILL what is left in a dead child's process group (nothing, normally)."""
    try:
        os.killpg(pgid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
