"""What the publishing tests check once a post settled: how its publication was recorded (the
platform's answer to the call, or reading the account back), and a worker log without a crash."""

from __future__ import annotations


def publish_how(rt, post_id: int) -> str:
    """How the post was recorded as published: by the call's answer or by reading back."""
    from sqlalchemy import select

    from postgate.store.models import AuditEntry

    with rt.store.session() as db:
        entry = db.scalar(
            select(AuditEntry).where(
                AuditEntry.action == "post:publish", AuditEntry.target == f"post:{post_id}"
            )
        )
    return entry.details["how"]


def assert_clean_log(workers) -> None:
    log = workers.log_text()
    assert "Traceback" not in log and "KeyError" not in log, log[-3000:]
