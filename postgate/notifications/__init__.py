"""Notifications: telling the right people at once (DESIGN.md invariant 12).

Every event is audited through :meth:`postgate.runtime.Runtime.audit` in its own
transaction; :mod:`.router` turns the audit actions people must hear about into in-app items
and outbox rows in that same transaction, so a message exists exactly when its event does.
Workers deliver the outbox through Apprise (:mod:`.outbox`, :mod:`.sending`), claiming each
row in the store first, so a worker killed mid-send, a retried job or a flushed Redis never
loses a message nor sends it twice from two workers; the reconciler re-enqueues what is due.
Messages are rendered in the reader's language from parameters (:mod:`.messages`), never
from secrets.
"""
