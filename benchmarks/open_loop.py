"""An open-loop HTTP load: requests sent at a fixed rate whatever the server's answers, each
timed from the moment it was due (so a server that falls behind is charged for the queue
it builds, not hidden by clients that wait: no coordinated omission).

Closed-loop clients (wrk's ``-c 20``) measure capacity, and their latency is only the queue
they make themselves: 20 clients at 124 answers a second wait 161 ms on average whatever the
server does (Little's law). A target stated as "200 requests a second with p99 < 100 ms" is
a rate offered, and its latency is what this measures. Plain asyncio with keep-alive
connections and a minimal HTTP/1.1 reader, so that the generator spends little of the
machine it shares with the server.
"""

from __future__ import annotations

import asyncio
import statistics
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit


@dataclass
class OpenLoopFigures:
    offered: float  # requests a second sent
    answered: float  # answers a second, over the time from the first due to the last answer
    p50: float
    p99: float
    worst: float
    statuses: dict[int, int]


def open_loop(
    url: str,
    *,
    rate: float,
    seconds: float,
    body: Callable[[int], bytes] | None = None,
    token: str | None = None,
    connections: int = 64,
) -> OpenLoopFigures:
    """``rate`` requests a second for ``seconds`` to ``url`` (a POST of ``body(i)`` when
    given, else a GET), over at most ``connections`` keep-alive connections."""
    return asyncio.run(_run(url, rate, seconds, body, token, connections))


async def _run(
    url: str,
    rate: float,
    seconds: float,
    body: Callable[[int], bytes] | None,
    token: str | None,
    connections: int,
) -> OpenLoopFigures:
    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    head = f"{'POST' if body else 'GET'} {parts.path} HTTP/1.1\r\nHost: {host}:{port}\r\n"
    if token:
        head += f"Authorization: Bearer {token}\r\n"
    loop = asyncio.get_running_loop()
    free = asyncio.Semaphore(connections)
    idle: list[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = []
    latencies: list[float] = []
    statuses: Counter[int] = Counter()
    count = int(rate * seconds)
    start = loop.time() + 0.2
    last = start

    async def send(i: int) -> None:
        nonlocal last
        due = start + i / rate
        await asyncio.sleep(max(0.0, due - loop.time()))
        payload = body(i) if body else b""
        extra = f"Content-Type: application/json\r\nContent-Length: {len(payload)}\r\n"
        request = (head + (extra if body else "") + "\r\n").encode() + payload
        async with free:
            while True:
                reused = bool(idle)
                reader, writer = idle.pop() if idle else await asyncio.open_connection(host, port)
                writer.write(request)
                try:
                    status, keep = await _read_answer(reader)
                    break
                except (asyncio.IncompleteReadError, ConnectionError):
                    writer.close()
                    if not reused:
                        raise
                    # The server closed the idle connection (its keep-alive ran out) before
                    # reading the request: send it again on another.
            if keep:
                idle.append((reader, writer))
            else:
                writer.close()
        now = loop.time()
        last = max(last, now)
        latencies.append(now - due)
        statuses[status] += 1

    await asyncio.gather(*(send(i) for i in range(count)))
    for _, writer in idle:
        writer.close()
    latencies.sort()
    return OpenLoopFigures(
        offered=rate,
        answered=count / (last - start),
        p50=statistics.median(latencies),
        p99=latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))],
        worst=latencies[-1],
        statuses=dict(statuses),
    )


async def _read_answer(reader: asyncio.StreamReader) -> tuple[int, bool]:
    """One answer's status, and whether the connection may carry the next request (its
    body is read by Content-Length; gunicorn's JSON and static answers carry one)."""
    head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1")
    lines = head.split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    fields = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        fields[name.strip().lower()] = value.strip()
    length = int(fields.get("content-length", "0"))
    if length:
        await reader.readexactly(length)
    return status, fields.get("connection", "").lower() != "close"
