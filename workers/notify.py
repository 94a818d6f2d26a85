"""The notification job: deliver one outbox row (:mod:`postgate.notifications.outbox`).

It takes the row's id and trusts only the store: the row is claimed there before anything
is sent, so RQ running the job twice, late, or after a flush sends nothing twice.
"""

from __future__ import annotations

from postgate.notifications.outbox import deliver
from postgate.runtime import process_runtime


def deliver_message(outbox_id: int) -> str:
    return deliver(process_runtime(), outbox_id)
