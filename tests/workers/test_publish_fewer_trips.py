"""The publish path with fewer round trips to the store still sees every change at once.

A publish reads, before its audit entry, what the notification of its outcome needs (the
post with its account and author, the author's preference and channels, the organisation's
channels: ``recipients.prefetch``) and its last look at the freezes is one statement outside
any transaction. Nothing of it outlives the publish: a channel, a language or a freeze
changed between two publishes is seen by the second.
"""

from __future__ import annotations

from sqlalchemy import select

from postgate.services.publishing import ClaimOutcome, claim_post, still_frozen
from postgate.store.models import Freeze, NotifyChannel, NotifyPreference, OutboxMessage, Post


def _outbox_of(rt, post_id: int) -> list[OutboxMessage]:
    with rt.store.session() as db:
        rows = db.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()
        return [r for r in rows if (r.params or {}).get("post") == post_id]


def test_channels_and_language_changed_between_two_publishes_are_used_by_the_second(poster, rt):
    from workers.jobs import publish

    author = poster.people["author"]
    first = poster.schedule("Premier message, personne ne l'entend ailleurs.", seconds=None)
    assert publish(rt, first, 1).startswith("published")
    assert _outbox_of(rt, first) == []  # no channel yet: in-app only

    with rt.store.transaction() as db:
        author_id = db.scalar(select(Post.author_id).where(Post.id == first))
        mine = NotifyChannel(
            user_id=author_id, name="moi", kind="json", url_enc=rt.vault.encrypt("json://a")
        )
        shared = NotifyChannel(
            user_id=None,
            name="équipe",
            kind="json",
            url_enc=rt.vault.encrypt("json://b"),
            audiences=["posts"],
        )
        db.add_all([mine, shared, NotifyPreference(user_id=author_id, language="en")])
        db.flush()
        channels = {f"user:{mine.id}": "en", f"org:{shared.id}": rt.settings.notify_language}
    assert author.username  # the author of both posts

    second = poster.schedule("Second message, entendu sur les nouveaux canaux.", seconds=None)
    assert publish(rt, second, 1).startswith("published")
    sent = [m for m in _outbox_of(rt, second) if m.kind == "post.published"]
    assert {m.channel: m.language for m in sent} == channels


def test_a_freeze_committed_after_the_claim_is_seen_by_the_last_look(poster, rt):
    post_id = poster.schedule("Gelé entre la réservation et l'appel.", seconds=None)
    claimed = claim_post(rt, post_id, 1, "token-1")
    assert claimed.outcome == ClaimOutcome.CLAIMED and claimed.claim is not None
    assert still_frozen(rt, claimed.claim) is False  # nothing frozen: it may go

    with rt.store.transaction() as db:
        db.add(Freeze(account_id=None, reason="incident"))
    assert still_frozen(rt, claimed.claim) is True
    post = poster.post(post_id)
    assert post.status == "blocked" and "frozen" in post.status_reason
    assert post.claim_token is None


def test_the_last_look_stops_a_claim_that_is_no_longer_held(poster, rt):
    post_id = poster.schedule("Une réservation reprise par un autre.", seconds=None)
    claimed = claim_post(rt, post_id, 1, "token-1")
    assert claimed.claim is not None
    with rt.store.transaction() as db:
        db.get(Post, post_id).claim_token = "someone-else"
    assert still_frozen(rt, claimed.claim) is True  # no call without the claim
    assert poster.post(post_id).status == "publishing"  # the holder's to settle, untouched
