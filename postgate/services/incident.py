"""The incident report of a takedown, for the post-mortem: a timeline drawn from the audit log.

The audit log is hash-chained (``postgate audit verify``), so a timeline built from it is
evidence too: first unauthorized post, freezes, sessions ended, each deletion, credential
revocations, crisis statements marked and published. The items add each post's evidence.
The details of the entries read here have the shapes of :mod:`postgate.audit_payloads`;
entries written before those shapes may lack a key, so every key is read with ``get``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import select
from sqlalchemy.orm import Session

from postgate import audit_payloads as payloads
from postgate import safe_output as md
from postgate.audit import Event
from postgate.services import incident_words as words
from postgate.services.incident_words import Said, Translate, plain
from postgate.services.takedown_view import load_takedown, takedown_to_dict
from postgate.states import ItemOrigin
from postgate.store.models import AuditEntry, Post
from postgate.store.types import utcnow

LOOKBACK = timedelta(days=1)  # freezes set shortly before the takedown belong to the story
ACTIONS = (
    Event.FREEZE_SET,
    Event.FREEZE_LIFT,
    Event.TAKEDOWN_START,
    Event.ACCOUNT_TAKEDOWN,
    Event.TOKEN_REVOKE,
    Event.TAKEDOWN_ITEM,
    Event.ACCOUNT_COMPROMISED,
    Event.TAKEDOWN_DONE,
    Event.POST_CRISIS,
    Event.POST_PUBLISH,
    Event.WATCH_ALERT,
)


def incident_report(db: Session, takedown_id: int) -> dict[str, Any]:
    takedown = load_takedown(db, takedown_id)
    body = takedown_to_dict(db, takedown)
    accounts = {a["name"] for a in body["accounts"]}
    crisis_posts = _crisis_posts(db, takedown.account_ids)
    start = min(takedown.created_at, takedown.since) - LOOKBACK
    entries = db.scalars(
        select(AuditEntry)
        .where(AuditEntry.action.in_([str(a) for a in ACTIONS]), AuditEntry.at >= start)
        .order_by(AuditEntry.seq)
    ).all()
    timeline = [
        event
        for entry in entries
        if (event := _event(entry, takedown_id, accounts, crisis_posts)) is not None
    ]
    first = _first_unauthorized(body["items"])
    if first is not None:
        timeline.append(
            {
                "at": first["evidence"]["created_at"],
                "event": "first_unauthorized_post",
                "actor": "unknown",
                "target": f"account:{first['account']}",
                **Said(
                    words.FIRST_UNAUTHORIZED,
                    {
                        "account": first["account"],
                        "remote_id": first["remote_id"],
                        "text": first["evidence"].get("text", "")[:140],
                    },
                ).as_dict(),
                "seq": None,
            }
        )
    timeline.sort(key=lambda e: (e["at"], e["seq"] or 0))
    items = [
        {**item, "link": md.shown_link((item["evidence"] or {}).get("url"))}
        for item in body.pop("items")
    ]
    return {
        "takedown": body,
        "summary": _summary(timeline, body, first),
        "timeline": timeline,
        "items": items,
        "generated_at": utcnow().isoformat(),
    }


def _crisis_posts(db: Session, account_ids: list[int]) -> set[str]:
    ids = db.scalars(
        select(Post.id).where(Post.crisis_statement.is_(True), Post.account_id.in_(account_ids))
    )
    return {f"post:{i}" for i in ids}


def _event(
    entry: AuditEntry, takedown_id: int, accounts: set[str], crisis: set[str]
) -> dict[str, Any] | None:
    said = _said(entry, takedown_id, accounts, crisis)
    if said is None:
        return None
    return {
        "at": entry.at.isoformat(),
        "event": entry.action,
        "actor": entry.actor,
        "target": entry.target,
        "result": entry.result,
        **said.as_dict(),
        "seq": entry.seq,
    }


def _said(entry: AuditEntry, takedown_id: int, accounts: set[str], crisis: set[str]) -> Said | None:
    """What the timeline says of ``entry``, or None when it is not part of this takedown."""
    d, action, own = entry.details or {}, entry.action, f"takedown:{takedown_id}"
    if action in (Event.FREEZE_SET, Event.FREEZE_LIFT):
        freeze = cast(payloads.FreezeSet, d)  # a lift has the same scope and account
        if freeze.get("scope") != "global" and freeze.get("account") not in accounts:
            return None
        return words.freeze(freeze.get("account"), action == Event.FREEZE_SET, freeze.get("reason"))
    if action == Event.ACCOUNT_COMPROMISED:
        ended = cast(payloads.AccountCompromised, d)
        if ended.get("takedown") != takedown_id:
            return None
        revoked = bool(ended.get("credentials_revoked"))
        return words.compromised(entry.target, revoked, ended.get("reason") or "")
    if action == Event.ACCOUNT_TAKEDOWN:
        joined = cast(payloads.AccountTakedown, d)
        if joined.get("takedown") != takedown_id:
            return None
        return _press_again_summary(entry.target, joined)
    if action == Event.WATCH_ALERT:
        seen = cast(payloads.WatchAlert, d)
        template = words.ALERTS.get(seen.get("kind", ""))
        if seen.get("account") not in accounts or template is None:
            return None
        return Said(
            template,
            {
                "account": seen.get("account"),
                "remote_id": seen.get("remote_id", ""),
                "via": seen.get("via", ""),
                "text": seen.get("text", "")[:140],
            },
        )
    if action in (Event.POST_CRISIS, Event.POST_PUBLISH):
        if entry.target not in crisis:
            return None
        template = words.CRISIS_MARKED if action == Event.POST_CRISIS else words.CRISIS_PUBLISHED
        return Said(template, {"target": entry.target})
    if entry.target != own:
        return None
    return _takedown_summary(action, d)


def _takedown_summary(action: str, d: dict[str, Any]) -> Said:
    if action == Event.TAKEDOWN_START:
        start = cast(payloads.TakedownStart, d)
        accounts = ", ".join(start.get("accounts", []))
        return Said(words.STARTED, {"accounts": accounts, "since": start.get("since")})
    if action == Event.TOKEN_REVOKE:
        ended = cast(payloads.TokensEnded, d)
        count = ended.get("tokens_ended", 0)
        return Said(words.TOKENS_ENDED, {"count": count, "users": ended.get("users")})
    if action == Event.TAKEDOWN_DONE:
        outcomes = ", ".join(f"{k} {v}" for k, v in sorted(d.items()))
        return Said(words.FINISHED, {"outcomes": outcomes})
    if "listing_failed" in d:
        failed = cast(payloads.ListingFailed, d)
        return Said(
            words.LISTING_FAILED,
            {"account": failed.get("account"), "detail": failed["listing_failed"]},
        )
    item = cast(payloads.TakedownItem, d)
    params = {
        "origin": item.get("origin"),
        "remote_id": item.get("remote_id"),
        "account": item.get("account"),
        "outcome": item.get("outcome"),
    }
    if item.get("reason"):
        return Said(words.ITEM_WHY, {**params, "detail": item["reason"]})
    return Said(words.ITEM, params)


def _press_again_summary(target: str, d: payloads.AccountTakedown) -> Said:
    """A later request joined this takedown on one account, perhaps reaching further back."""
    params: dict[str, Any] = {"target": target, "since": d.get("requested_since")}
    if not d.get("widened_from"):
        return Said(words.AGAIN, params)
    params |= {"widened_from": d["widened_from"], "to": d.get("since")}
    if d.get("credentials_revoked_already"):
        return Said(words.AGAIN_WIDENED_REVOKED, params)
    return Said(words.AGAIN_WIDENED, params)


def _first_unauthorized(items: list[dict[str, Any]]) -> dict[str, Any] | None:
    found = [
        i
        for i in items
        if i["origin"] == ItemOrigin.UNAUTHORIZED and i["evidence"].get("created_at")
    ]
    return min(found, key=lambda i: i["evidence"]["created_at"], default=None)


def _summary(
    timeline: list[dict[str, Any]], body: dict[str, Any], first: dict[str, Any] | None
) -> dict[str, Any]:
    def first_at(event: str) -> str | None:
        return next((e["at"] for e in timeline if e["event"] == event), None)

    deletions = [e["at"] for e in timeline if e["event"] == Event.TAKEDOWN_ITEM]
    return {
        "outcomes": {k: v for k, v in body["progress"].items() if k != "accounts"},
        "first_unauthorized_post_at": first["evidence"]["created_at"] if first else None,
        "first_alert_at": first_at(Event.WATCH_ALERT),
        "takedown_started_at": first_at(Event.TAKEDOWN_START),
        "frozen_at": first_at(Event.FREEZE_SET),
        "first_deletion_at": deletions[0] if deletions else None,
        "last_deletion_at": deletions[-1] if deletions else None,
        "accounts_compromised": list(  # an account run again after a widening shows twice
            dict.fromkeys(e["target"] for e in timeline if e["event"] == Event.ACCOUNT_COMPROMISED)
        ),
        "statements_published": [e["target"] for e in timeline if e["event"] == Event.POST_PUBLISH],
        "finished_at": body["finished_at"],
    }


def _iso_short(value: str | None) -> str:
    if not value:
        return "-"
    try:
        return datetime.fromisoformat(value).strftime("%Y-%m-%d %H:%M:%S UTC")
    except (TypeError, ValueError):  # evidence holds what the platform said
        return md.cell(value)


def report_markdown(
    report: dict[str, Any],
    *,
    tr: Translate = plain,
    say: Callable[[dict[str, Any]], str] | None = None,
) -> str:
    """The same report as Markdown, to paste into the post-mortem.

    Every value that came from a platform or a person is written so that no Markdown
    renderer interprets it (:mod:`postgate.safe_output`); only our own words, enums, numbers
    and times are written plainly, and a post's URL is a link only when safe to follow.
    ``tr`` translates the report's own words and ``say`` writes a timeline line (the web app
    passes the reader's language); without them the report is in English.
    """
    t, s = report["takedown"], report["summary"]
    started = {"user": md.verbatim(t["created_by"]) or "-", "at": _iso_short(t["created_at"])}
    outcomes = ", ".join(f"{md.escape(k)} {v}" for k, v in s["outcomes"].items())
    lines = [
        "# " + tr(words.TITLE).format(id=t["id"]),
        "",
        "- " + tr(words.ACCOUNTS).format(names=_names([a["name"] for a in t["accounts"]])),
        "- " + tr(words.WINDOW).format(since=_iso_short(t["since"])),
        "- " + tr(words.STARTED_BY).format(**started),
        "- "
        + tr(words.STATUS).format(status=md.escape(t["status"]), at=_iso_short(t["finished_at"])),
        "- " + tr(words.FIRST_POST).format(at=_iso_short(s["first_unauthorized_post_at"])),
        "- " + tr(words.FIRST_ALERT).format(at=_iso_short(s.get("first_alert_at"))),
        "- " + tr(words.FROZEN_AT).format(at=_iso_short(s["frozen_at"])),
        "- " + tr(words.OUTCOMES).format(outcomes=outcomes),
        "- " + tr(words.COMPROMISED_ACCOUNTS).format(names=_names(s["accounts_compromised"])),
        "- " + tr(words.STATEMENTS).format(names=_names(s["statements_published"])),
        "",
        "## " + tr(words.TIMELINE),
        "",
        tr(words.TIMELINE_HEAD),
        "|---|---|---|---|",
    ]
    for e in report["timeline"]:
        summary = say(e) if say else e["summary"]
        lines.append(
            f"| {_iso_short(e['at'])} | {md.escape(e['event'])} | {md.cell(e['actor'])} "
            f"| {md.cell(summary)} |"
        )
    lines += ["", "## " + tr(words.POSTS), "", tr(words.POSTS_HEAD)]
    lines.append("|---|---|---|---|---|---|")
    for i in report["items"]:
        ev = i["evidence"] or {}
        outcome = i["outcome"] + (f": {i['reason']}" if i["reason"] else "")
        lines.append(
            f"| {md.cell(i['account'])} | {_remote(i)} | {md.escape(i['origin'])} | "
            f"{_iso_short(ev.get('created_at'))} | {md.cell(outcome)} "
            f"| {md.cell(ev.get('text', ''))} |"
        )
    generated = tr(words.GENERATED).format(at=_iso_short(report["generated_at"]))
    lines += ["", generated, ""]
    return "\n".join(lines)


def _names(values: list[str]) -> str:
    return ", ".join(md.verbatim(v) for v in values) or "-"


def _remote(item: dict[str, Any]) -> str:
    """The post's remote id, a link to it when its URL is safe to follow, else the URL as
    text beside it (it is evidence too)."""
    url = (item["evidence"] or {}).get("url")
    if item.get("link"):
        return md.link(item["remote_id"], item["link"])
    shown = md.cell(item["remote_id"])
    return f"{shown} {md.cell(url)}" if url else shown
