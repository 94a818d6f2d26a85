"""Takedowns end to end: the real sandbox platform, the API and real worker processes.

Each test fails if a property of issue 6 broke: everything in the window is gone with its
evidence, nothing else is touched, sessions end, rate limits are honoured, a killed worker's
takedown is resumed and finished by another. The fixtures: the sandbox (``platform``),
worker processes started on demand (``workers``) and the posts a takedown finds (``scene``,
``layers``).
"""

from __future__ import annotations

import pytest

from sandbox import client as sandbox
from tests.workers.takedown.support import (
    build_scene,
    connect,
    publish_as_postgate,
    tick,
    user_id,
)
from tests.workers.takedown.support import platform as platform  # a fixture
from tests.workers.takedown.support import workers as workers  # a fixture


@pytest.fixture
def scene(rt, actors, platform):
    """acme: 2 old attacker posts and 1 old Postgate post before ``since``; then 5 Postgate
    posts and 20 attacker posts. other: 3 posts in the window, never to be touched."""
    return build_scene(rt, actors, platform, old_attacks=2, ours=5, attacks=20, others=3)


@pytest.fixture
def layers(rt, actors, platform):
    """Three layers on acme and other: ``ancient`` (before t0), ``early`` (t0 to t1) and
    ``recent`` (after t1). Each early and recent layer has Postgate and attacker posts."""
    ids = {name: connect(rt, platform, name) for name in ("acme", "other")}
    alice = user_id(rt, actors.create("alice", "author").username)

    def layer(label: str, attacks: int) -> None:
        for name, account in ids.items():
            publish_as_postgate(rt, account, alice, f"{label} legitimate post on {name}")
            for i in range(attacks):
                sandbox.post_direct(platform, name, f"{label} attacker post {i} on {name}")

    layer("ancient", 1)
    t0 = tick()
    layer("early", 2)
    t1 = tick()
    layer("recent", 6)
    return {"ids": ids, "t0": t0, "t1": t1, "url": platform}
