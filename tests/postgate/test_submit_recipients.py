"""Whom a submission's review request goes to, read before the audit entry (issue 16).

A submission reads the enabled reviewers, their preferences and every channel in one
statement, whatever the number of reviewers (``recipients.prefetch(reviewers=True)``): each
enabled reviewer but the author gets the request, in their language; a disabled reviewer, a
plain author or a security lead does not.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from postgate.notifications.kinds import Kind
from postgate.store.models import (
    Notification,
    NotifyChannel,
    NotifyPreference,
    OutboxMessage,
    User,
)
from tests.helpers import sent_statements
from tests.postgate.service_people import account, people, submitted, user


@pytest.fixture
def scene(rt):
    account(rt, "acme")
    people(rt, ana=("author",), bob=("author", "reviewer"), rev=("reviewer",))
    people(rt, sol=("security",), old=("reviewer",))
    with rt.store.transaction() as db:
        user(db, "old").disabled = True
    return rt


def _asked(rt, post_id: int) -> list[str]:
    with rt.store.session() as db:
        rows = db.execute(
            select(User.username, Notification.params)
            .join(User, User.id == Notification.user_id)
            .where(Notification.kind == Kind.REVIEW_PENDING)
            .order_by(User.username)
        )
        return [name for name, params in rows if params.get("post") == post_id]


def test_every_enabled_reviewer_but_the_author_is_asked(scene) -> None:
    rt = scene
    assert _asked(rt, submitted(rt, "ana")) == ["bob", "rev"]
    assert _asked(rt, submitted(rt, "bob")) == ["rev"]  # never oneself


def test_a_reviewers_language_and_channel_are_read_with_them(scene) -> None:
    rt = scene
    with rt.store.transaction() as db:
        rev = user(db, "rev")
        db.add(NotifyPreference(user_id=rev.id, language="en"))
        channel = NotifyChannel(
            user_id=rev.id, name="mine", kind="json", url_enc=rt.vault.encrypt("json://r")
        )
        db.add(channel)
        db.flush()
        channel_id = channel.id

    post_id = submitted(rt, "ana")
    assert _asked(rt, post_id) == ["bob", "rev"]
    with rt.store.session() as db:
        digests = db.scalars(
            select(OutboxMessage).where(
                OutboxMessage.channel == f"user:{channel_id}",
                OutboxMessage.kind == Kind.REVIEW_DIGEST,
            )
        ).all()
    assert [m.language for m in digests] == ["en"]


def test_more_reviewers_cost_the_submission_no_more_reads(scene) -> None:
    rt = scene
    submitted(rt, "ana")  # the process's first evaluation also records the rules version
    with sent_statements(rt) as few:
        submitted(rt, "ana")
    people(rt, **{f"extra{i}": ("reviewer",) for i in range(4)})
    with sent_statements(rt) as many:
        post_id = submitted(rt, "ana")
    assert len(_asked(rt, post_id)) == 6
    # Each reviewer's request is a row written (batched on PostgreSQL), never a read.
    assert len(_reads(many)) == len(_reads(few)), (_reads(few), _reads(many))
    # People, preferences and channels come in one round trip, read before the audit entry.
    channel_reads = [s for s in _reads(many) if "notify_channels" in s]
    assert len(channel_reads) == 1, channel_reads
    assert "notify_preferences" in channel_reads[0]
    assert many.index(channel_reads[0]) < next(i for i, s in enumerate(many) if "audit_head" in s)


def test_a_disabled_reviewers_channel_and_the_organisations_are_told_apart(scene) -> None:
    rt = scene
    with rt.store.transaction() as db:
        for owner, name in ((user(db, "old").id, "old's"), (None, "org")):
            db.add(
                NotifyChannel(
                    user_id=owner,
                    name=name,
                    kind="json",
                    url_enc=rt.vault.encrypt("json://x"),
                    audiences=["reviews"],
                )
            )
    post_id = submitted(rt, "ana")
    assert _asked(rt, post_id) == ["bob", "rev"]
    with rt.store.session() as db:
        owned = {c.id: c.name for c in db.scalars(select(NotifyChannel))}
        sent_to = {
            owned[int(m.channel.split(":")[1])]
            for m in db.scalars(select(OutboxMessage))
            if m.channel.split(":")[0] in ("user", "org")
        }
    assert sent_to == {"org"}  # the organisation's reviews channel; never the disabled one's


def _reads(statements: list[str]) -> list[str]:
    return [s for s in statements if s.lstrip().upper().startswith("SELECT")]
