"""The rules in force are cached per process; the cache must never hand one database's rules
to another. A store whose version ids restart (a backup restored under a running web process,
a fresh test store at the address of the last one's) has a version 2 that is not the old one:
the cache names a version by the database, its id and the instant it was applied."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete, select

from postgate.services import rule_versions
from postgate.store.models import RuleVersion
from tests.postgate.test_rule_versions import CATALOG, findings, propose
from tests.postgate.test_rule_versions import local_rt as local_rt  # the fixture


def test_a_restored_store_with_the_same_version_ids_is_not_served_the_old_rules(local_rt):
    nova = propose(local_rt, catalog=CATALOG + "B2,Enceinte Nova,,49.00,EUR,,,\n")
    assert findings(local_rt, "Enceinte Nova à 4,90 € !") == ["prices"]  # cached now
    with local_rt.store.transaction() as db:
        row = db.get(RuleVersion, nova.id)
        assert row is not None
        # What a restore of an older backup leaves: the same id, other content, applied at
        # another instant. The rules of the old catalogue (no "Enceinte Nova") are in force.
        base = db.get(RuleVersion, nova.base_id)
        assert base is not None
        restored = {
            "rules": base.rules,
            "catalog": base.catalog,
            "applied_at": (row.applied_at or base.created_at) + timedelta(seconds=1),
        }
        db.execute(delete(RuleVersion).where(RuleVersion.id == nova.id))
        db.flush()
        db.add(
            RuleVersion(
                id=nova.id,
                rules=restored["rules"],
                catalog=restored["catalog"],
                version=base.version,
                author="restored",
                status=rule_versions.APPLIED,
                created_at=row.created_at,
                applied_at=restored["applied_at"],
            )
        )
    with local_rt.store.session() as db:
        assert db.scalar(select(RuleVersion.author).where(RuleVersion.id == nova.id)) == "restored"
    assert findings(local_rt, "Enceinte Nova à 4,90 € !") == []
