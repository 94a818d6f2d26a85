"""After a lost answer the reconciler settles the post the way the platform allows, as its
registry entry says (invariant 5): listing the account, sending again to a receiver that
deduplicates, or, where nothing can tell, leaving it to a person at once."""

from __future__ import annotations

from dataclasses import replace

import pytest

from postgate.platforms import registry
from postgate.platforms.spec import ReadBack
from postgate.states import PostStatus
from postgate.store.models import Post
from workers.readback import strategy_for


def test_every_platform_has_a_strategy_it_can_keep():
    for name, spec in registry.PLATFORMS.items():
        assert strategy_for(name) == spec.read_back
        if spec.read_back == ReadBack.RESEND:  # only where the platform deduplicates
            assert spec.capabilities.idempotency, name
    assert strategy_for("myspace") == ReadBack.NONE
    assert strategy_for("webhook") == ReadBack.RESEND
    assert {strategy_for(p) for p in ("linkedin", "facebook", "instagram", "threads")} == {
        ReadBack.LISTING
    }


def _stale_claim(rt, post_id: int) -> None:
    """A worker died mid-call: the post is ``publishing`` and nobody holds it."""
    with rt.store.transaction() as db:
        post = db.get(Post, post_id)
        post.status, post.claim_token, post.claimed_at = PostStatus.PUBLISHING, "gone", None


@pytest.mark.parametrize(
    ("strategy", "status", "note"),
    [
        (ReadBack.NONE, PostStatus.PUBLISHING, "sandbox cannot be read back"),
        (ReadBack.LISTING, PostStatus.SCHEDULED, None),  # listed, not there: scheduled again
    ],
)
def test_the_strategy_decides_what_a_stale_claim_becomes(
    rt, poster, monkeypatch, strategy, status, note
):
    from workers.reconcile import resolve_if_stale

    sandbox = registry.PLATFORMS["sandbox"]
    monkeypatch.setitem(registry.PLATFORMS, "sandbox", replace(sandbox, read_back=strategy))
    post_id = poster.schedule("Perdue en route.", seconds=600)
    _stale_claim(rt, post_id)

    resolve_if_stale(rt, post_id, enqueue=False)

    post = poster.post(post_id)
    assert post.status == status
    if note:
        assert note in post.unresolved_reason and post.claim_token == "gone"
