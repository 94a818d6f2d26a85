"""Where the time went, from py-spy's collapsed stacks (``py-spy record --format raw``).

    python benchmarks/profile_top.py PROFILE_DIR/*.txt [--top 40] [--match postgate]

Prints, for each function, the share of samples in which it is on the stack (inclusive) and
at the top of it (self), largest first; ``--match`` keeps the functions whose file or name
contains the text (e.g. ``postgate/`` for Postgate's own code). Idle samples (a worker
waiting for a job: ``BLPOP``, ``select``) are counted apart, so shares are of busy time.
"""

from __future__ import annotations

import argparse
import re
from collections import Counter
from pathlib import Path

IDLE = re.compile(
    r"dequeue_job_and_maintain_ttl|\bwait_for_job\b|_sleep|select \(|poll \(|accept \("
)
FRAME = re.compile(r"^(?P<name>.*?) \((?P<file>.*?)(?::\d+)?\)$")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("files", nargs="+", type=Path)
    parser.add_argument("--top", type=int, default=40)
    parser.add_argument("--match", default="")
    args = parser.parse_args()
    inclusive: Counter[str] = Counter()
    own: Counter[str] = Counter()
    busy = idle = 0
    for path in args.files:
        for line in path.read_text().splitlines():
            stack, _, count = line.rpartition(" ")
            if not stack or not count.isdigit():
                continue
            frames = [label(frame) for frame in stack.split(";")[1:]]  # first: process/thread
            if not frames or IDLE.search(stack):
                idle += int(count)
                continue
            busy += int(count)
            for frame in set(frames):
                inclusive[frame] += int(count)
            own[frames[-1]] += int(count)
    print(f"samples: {busy} busy, {idle} idle")
    print(f"{'incl%':>6} {'self%':>6}  function")
    shown = [f for f, _ in inclusive.most_common() if args.match in f][: args.top]
    for frame in shown:
        print(f"{100 * inclusive[frame] / busy:6.1f} {100 * own[frame] / busy:6.1f}  {frame}")


def label(frame: str) -> str:
    """``name (path/to/file.py:12)`` → ``name (file.py's last two parts)``."""
    found = FRAME.match(frame)
    if not found:
        return frame
    parts = found["file"].split("/")
    return f"{found['name']} ({'/'.join(parts[-2:])})"


if __name__ == "__main__":
    main()
