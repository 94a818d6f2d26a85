"""The watch: noticing on each account what Postgate did not do (invariant 13).

The workers read the platforms (``workers/watch.py``: the user stream where the platform has
one, a listing otherwise); this module decides, against the store, what each thing they see
means, and records an alert for what Postgate did not do:

- **a post Postgate did not publish** (``unauthorized_post``): a post of the account whose id
  no Postgate post holds. A post being published right now is not one: its worker claimed
  it (``publishing``) and may not have stored the platform's answer yet, while the stream
  already shows the post. Such a post is recognised by the read-back's matching
  (:func:`postgate.platforms.matching.is_same_post`), which survives how the platform
  rewrote the text (mentions, links, hashtags, emoji, HTML), and is *undecided*: judged
  again until the publish's outcome is stored (then it is ours, or it is not and alarms).
- **an edit of one of Postgate's posts** (``edited``): the platform says it was edited,
  and no takedown of Postgate's neutralised it.
- **one of Postgate's posts deleted by someone else** (``deleted``): the stream says so, or
  a complete listing no longer shows a post the previous reading saw, and no takedown of
  Postgate's covers it.
- **a profile change** (``profile_changed``): display name, bio, avatar, header or fields
  differ from the last reading.

Nothing older than the watch of the account (``WatchState.started_at``) alarms. Each alert
is one row, unique per (account, kind, remote id, fingerprint), so what the stream and the
backfill both see is one alert; it is audited ``watch.alert`` in the same transaction (the
notifications route every ``watch.*`` entry to the security lead at once), and freezes the
account when the account says so (``watch_auto_freeze``, off by default).
"""

from __future__ import annotations

import enum
import hashlib
import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from postgate import audit_payloads as payloads
from postgate.audit import Event
from postgate.platforms.base import Profile, RemotePost
from postgate.platforms.matching import is_same_post
from postgate.platforms.registry import platform_spec
from postgate.platforms.spec import Quota
from postgate.runtime import Runtime
from postgate.services.freezes import in_flight_posts, lock_accounts
from postgate.states import AccountStatus, AlertKind, PostStatus
from postgate.store.models import Account, Freeze, Post, TakedownItem, WatchAlert, WatchState
from postgate.store.types import utcnow

ACTOR = "watch"
QUOTA_SHARE = 0.2  # the watch uses at most this share of an account's documented quota
MAX_TEXT = 5000


class Verdict(enum.StrEnum):
    """What a post seen on the platform is to Postgate."""

    OURS = "ours"
    IN_FLIGHT = "in_flight"  # matches a post being published: judged again later
    FOREIGN = "foreign"


@dataclass(frozen=True)
class Finding:
    """Something Postgate did not do, ready to become an alert."""

    kind: AlertKind
    at: datetime
    remote_id: str = ""
    fingerprint: str = ""
    post_id: int | None = None
    url: str | None = None
    text: str = ""
    visibility: str | None = None
    evidence: dict[str, Any] = field(default_factory=dict)


def watchable(account: Account) -> bool:
    """Accounts the watch reads: connected, on a platform whose listing shows every post."""
    if account.status == AccountStatus.DISCONNECTED or not account.credentials_enc:
        return False
    try:
        return platform_spec(account.platform).capabilities.list_non_public
    except ValueError:
        return False


def streams(account: Account) -> bool:
    """Whether the account's platform has a stream a connector implements."""
    return platform_spec(account.platform).capabilities.streaming


def watched_accounts(db: Session) -> list[Account]:
    return [a for a in db.scalars(select(Account).order_by(Account.id)) if watchable(a)]


def poll_interval(configured: float, quota: Quota | None, calls_per_pass: int) -> float:
    """Seconds between two readings: the configured interval, or longer when the platform's
    documented quota would otherwise be spent beyond the watch's share of it."""
    if quota is None:
        return configured
    floor = calls_per_pass * quota.seconds / (quota.calls * QUOTA_SHARE)
    return max(configured, floor)


def ensure_state(db: Session, account_id: int, now: datetime | None = None) -> WatchState:
    """The account's watch state, started now the first time (nothing older alarms)."""
    state = db.get(WatchState, account_id)
    if state is None:
        state = WatchState(account_id=account_id, started_at=now or utcnow())
        db.add(state)
        db.flush()
    return state


def judge_post(db: Session, account: Account, remote: RemotePost) -> tuple[Verdict, Post | None]:
    """Ours (a Postgate post holds its id), in flight (it is the post a worker is publishing
    now, however the platform rewrote it), or foreign."""
    # In this order: a publish whose answer commits between the two reads is then seen
    # either in flight or holding the id, never as neither.
    local_host = urlsplit(account.base_url or "").hostname
    flying = next(
        (
            candidate
            for candidate in in_flight_posts(db, [account.id])
            if candidate.remote_id is None
            and is_same_post(candidate.text, remote, local_host=local_host)
        ),
        None,
    )
    post = db.scalar(
        select(Post).where(Post.account_id == account.id, Post.remote_id == remote.remote_id)
    )
    if post is not None:
        return Verdict.OURS, post
    if flying is not None:
        return Verdict.IN_FLIGHT, flying
    return Verdict.FOREIGN, None


def findings_for_post(
    db: Session, account: Account, remote: RemotePost, started_at: datetime
) -> list[Finding] | None:
    """What a post seen on the platform shows; None while it may be one being published."""
    verdict, post = judge_post(db, account, remote)
    if verdict == Verdict.IN_FLIGHT:
        return None
    if verdict == Verdict.FOREIGN:
        if remote.created_at < started_at or _taken_down(db, account.id, remote.remote_id):
            return []
        return [_post_finding(AlertKind.UNAUTHORIZED_POST, remote)]
    assert post is not None
    edited = remote.edited_at
    if edited is None or edited < started_at or post.status == PostStatus.DELETED:
        return []
    if _taken_down(db, account.id, remote.remote_id):
        return []  # Postgate's own takedown neutralised it
    return [_post_finding(AlertKind.EDITED, remote, post, fingerprint=edited.isoformat())]


def finding_for_delete(db: Session, account: Account, remote_id: str) -> Finding | None:
    """A deletion the stream announced: an alert when it is a live Postgate post's."""
    post = db.scalar(select(Post).where(Post.account_id == account.id, Post.remote_id == remote_id))
    if (
        post is None
        or post.status != PostStatus.PUBLISHED
        or _taken_down(db, account.id, remote_id)
    ):
        return None
    return _deleted(post)


def published_among(db: Session, account: Account, remote_ids: set[str]) -> set[str]:
    """Which of these posts are Postgate's, published and live as far as the store knows."""
    if not remote_ids:
        return set()
    # Looked up by the platform's ids alone (the status is checked here): with the status in
    # the statement, SQLite would read the account's published posts through the index on
    # the account and the status, all of them, rather than these few by their ids.
    query = select(Post.remote_id, Post.status).where(
        Post.account_id == account.id, Post.remote_id.in_(remote_ids)
    )
    return {
        remote_id
        for remote_id, status in db.execute(query)
        if remote_id and status == PostStatus.PUBLISHED
    }


def vanished(
    db: Session,
    account: Account,
    before: dict[str, str],
    listed: set[str],
    since: datetime,
) -> list[Finding]:
    """Postgate posts the last reading saw live (``before``: id -> the platform's
    ``created_at``) that a complete listing back to ``since`` no longer shows: deleted by
    someone else, unless Postgate itself took them down."""
    found = []
    for remote_id, created_at in before.items():
        if remote_id in listed or datetime.fromisoformat(created_at) < since:
            continue
        finding = finding_for_delete(db, account, remote_id)
        if finding is not None:
            found.append(finding)
    return found


def profile_finding(
    before: dict[str, Any] | None, known_hash: str, profile: Profile, now: datetime
) -> tuple[Finding | None, dict[str, Any], str]:
    """Compare a reading with the last one: the finding (None for the first reading, the
    baseline, or no change), and the reading and its hash to keep for the next time."""
    after = profile.to_dict()
    digest = hashlib.sha256(json.dumps(after, sort_keys=True).encode()).hexdigest()
    if before is None or known_hash == digest:
        return None, after, digest
    changed = sorted(k for k in after if after.get(k) != before.get(k))
    lines = [f"{k}: {before.get(k)!r} -> {after.get(k)!r}" for k in changed]
    finding = Finding(
        kind=AlertKind.PROFILE_CHANGED,
        at=now,
        fingerprint=digest,
        text="\n".join(lines)[:MAX_TEXT],
        evidence={"before": before, "after": after, "changed": changed},
    )
    return finding, after, digest


def raise_alert(
    rt: Runtime, account_id: int, finding: Finding, *, via: str, now: datetime | None = None
) -> int | None:
    """Store the alert and audit it in one transaction; freeze the account when it says so.
    The alert's id, or None when the same thing was alerted already."""
    try:
        with rt.store.transaction() as db:
            return _record(rt, db, account_id, finding, via, now or utcnow())
    except IntegrityError:
        return None  # another watcher recorded the same alert in the meantime


def raise_alerts(rt: Runtime, account_id: int, findings: list[Finding], *, via: str) -> list[int]:
    """Several alerts in one transaction (a reading's), one by one if another watcher
    recorded one of them meanwhile; the ids of those that were new."""
    if not findings:
        return []
    now = utcnow()
    try:
        with rt.store.transaction() as db:
            made = [_record(rt, db, account_id, f, via, now) for f in findings]
        return [alert_id for alert_id in made if alert_id is not None]
    except IntegrityError:
        made = [raise_alert(rt, account_id, f, via=via, now=now) for f in findings]
        return [alert_id for alert_id in made if alert_id is not None]


def _record(
    rt: Runtime, db: Session, account_id: int, finding: Finding, via: str, now: datetime
) -> int | None:
    account = db.get(Account, account_id)
    if account is None or _known(db, account_id, finding):
        return None
    alert = WatchAlert(
        account_id=account_id,
        kind=finding.kind,
        remote_id=finding.remote_id,
        fingerprint=finding.fingerprint,
        post_id=finding.post_id,
        url=finding.url,
        text=finding.text[:MAX_TEXT],
        visibility=finding.visibility,
        at=finding.at,
        detected_at=now,
        via=via,
        evidence=json.loads(json.dumps(finding.evidence, default=str)),
    )
    db.add(alert)
    db.flush()
    rt.audit(
        db,
        Event.WATCH_ALERT,
        actor=ACTOR,
        target=f"account:{account.name}",
        details=payloads.watch_alert(
            alert.id,
            account.name,
            str(finding.kind),
            finding.remote_id,
            finding.url,
            finding.text,
            finding.at,
            via,
        ),
    )
    if account.watch_auto_freeze:
        alert.froze = _freeze(rt, db, account, alert)
    return alert.id


def _known(db: Session, account_id: int, finding: Finding) -> bool:
    return (
        db.scalar(
            select(WatchAlert.id).where(
                WatchAlert.account_id == account_id,
                WatchAlert.kind == finding.kind,
                WatchAlert.remote_id == finding.remote_id,
                WatchAlert.fingerprint == finding.fingerprint,
            )
        )
        is not None
    )


def _freeze(rt: Runtime, db: Session, account: Account, alert: WatchAlert) -> bool:
    """Freeze the account (invariant 7) in the alert's transaction; False when one holds."""
    lock_accounts(db, [account.id])
    held = db.scalar(
        select(Freeze.id).where(Freeze.lifted_at.is_(None), Freeze.account_id == account.id)
    )
    if held is not None:
        return False
    reason = f"automatic freeze: watch alert #{alert.id} ({alert.kind})"
    freeze = Freeze(account_id=account.id, reason=reason, created_by_id=None)
    db.add(freeze)
    db.flush()
    in_flight = [p.id for p in in_flight_posts(db, [account.id])]
    rt.audit(
        db,
        Event.FREEZE_SET,
        actor=ACTOR,
        target=f"freeze:{freeze.id}",
        details=payloads.freeze_set(account.name, reason, in_flight, None),
    )
    return True


def _taken_down(db: Session, account_id: int, remote_id: str) -> bool:
    """Whether a takedown of Postgate's covers the post: what it does there is Postgate's."""
    return (
        db.scalar(
            select(TakedownItem.id).where(
                TakedownItem.account_id == account_id, TakedownItem.remote_id == remote_id
            )
        )
        is not None
    )


def _post_finding(
    kind: AlertKind, remote: RemotePost, post: Post | None = None, fingerprint: str = ""
) -> Finding:
    return Finding(
        kind=kind,
        at=remote.edited_at if kind == AlertKind.EDITED and remote.edited_at else remote.created_at,
        remote_id=remote.remote_id,
        fingerprint=fingerprint,
        post_id=post.id if post is not None else None,
        url=remote.url,
        text=remote.text,
        visibility=remote.visibility,
        evidence={
            "raw": remote.raw or {},
            "created_at": remote.created_at.isoformat(),
            **({"approved_text": post.text} if post is not None else {}),
        },
    )


def _deleted(post: Post) -> Finding:
    return Finding(
        kind=AlertKind.DELETED,
        at=utcnow(),
        remote_id=post.remote_id or "",
        post_id=post.id,
        url=post.remote_url,
        text=post.text,
        evidence={"published_at": post.published_at.isoformat() if post.published_at else None},
    )
