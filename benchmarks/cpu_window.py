"""What this machine's CPUs did while a benchmark measured: busy, and stolen.

On a virtual machine the hypervisor may run other guests on our cores; the time our
processes were ready to run but another guest had the core is *steal* in ``/proc/stat``. A
latency figure taken while a fifth of the CPU was stolen says little about Postgate, so the
benchmarks print both shares beside their figures (docs/publishing.md). On a machine
without ``/proc/stat`` the window says so instead of guessing.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

PROC_STAT = Path("/proc/stat")
# /proc/stat's "cpu" line: user nice system idle iowait irq softirq steal guest guest_nice;
# guest time is counted in user already.
IDLE, IOWAIT, STEAL = 3, 4, 7


def _ticks() -> list[int] | None:
    try:
        first = PROC_STAT.read_text().splitlines()[0].split()
    except (OSError, IndexError):
        return None
    return [int(n) for n in first[1:9]] if first and first[0] == "cpu" else None


@dataclass
class CpuWindow:
    """Open it before the measured part and call :meth:`describe` after it."""

    start: list[int] | None = None
    end: list[int] | None = None

    def __enter__(self) -> CpuWindow:
        self.start = _ticks()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.end = _ticks()

    def shares(self) -> tuple[float, float] | None:
        """(busy, stolen) as fractions of all CPU time in the window, or None."""
        if self.start is None or self.end is None:
            return None
        spent = [b - a for a, b in zip(self.start, self.end, strict=True)]
        total = sum(spent)
        if total <= 0:
            return None
        busy = total - spent[IDLE] - spent[IOWAIT] - spent[STEAL]
        return busy / total, spent[STEAL] / total

    def describe(self) -> str:
        shares = self.shares()
        if shares is None:
            return "CPU shares unknown (no /proc/stat)"
        busy, stolen = shares
        return f"CPU busy {busy:.0%}, stolen by the host {stolen:.0%}"
