"""The benchmarks' reading of what the machine's CPUs did (``benchmarks/cpu_window.py``)."""

from pathlib import Path

import pytest

from benchmarks import cpu_window
from benchmarks.cpu_window import CpuWindow


def stat_line(user: int, idle: int, iowait: int, steal: int) -> str:
    # user nice system idle iowait irq softirq steal guest guest_nice
    return f"cpu  {user} 0 0 {idle} {iowait} 0 0 {steal} 0 0\ncpu0 1 2 3\n"


def test_busy_and_stolen_are_shares_of_the_window(tmp_path: Path, monkeypatch) -> None:
    stat = tmp_path / "stat"
    monkeypatch.setattr(cpu_window, "PROC_STAT", stat)
    stat.write_text(stat_line(user=100, idle=1000, iowait=10, steal=5))
    with CpuWindow() as window:
        # 200 ticks in the window: 120 busy, 50 idle, 10 waiting for disk, 20 stolen.
        stat.write_text(stat_line(user=220, idle=1050, iowait=20, steal=25))
    assert window.shares() == pytest.approx((0.6, 0.1))
    assert window.describe() == "CPU busy 60%, stolen by the host 10%"


def test_without_proc_stat_it_says_so(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(cpu_window, "PROC_STAT", tmp_path / "absent")
    with CpuWindow() as window:
        pass
    assert window.shares() is None
    assert "unknown" in window.describe()
