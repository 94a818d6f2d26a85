"""After a post's change is committed, tell the queues what the store now says.

Pages and the API call this once their transaction is committed (invariant 6: the store is
the source of truth, Redis only dispatches). A queue that cannot be told is no error for the
person: the reconciler puts back whatever the store says is due.
"""

from __future__ import annotations

import logging

from gateway.context import rt
from postgate import queue
from postgate.store.models import Post

log = logging.getLogger("postgate.gateway.posts")


def dispatch_after_commit(post: Post, old_revision: int | None = None) -> None:
    """Tell the queues what the store now says; the reconciler repairs it if Redis is down."""
    try:
        queue.follow_post(rt(), post, old_revision)
    except Exception:
        log.warning("could not update the queue for post %s; the reconciler will", post.id)
